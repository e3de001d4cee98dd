"""Agora's pluggable apps. See ARCHITECTURE.md for the dependency rule between them."""
