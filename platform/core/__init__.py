"""Agora's shared kernel: what every app may import."""
