"""The platform API under ``/api/agora/v1/`` for what the kernel owns (background jobs)."""
