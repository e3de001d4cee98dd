"""Admin for policies and known media hashes."""
