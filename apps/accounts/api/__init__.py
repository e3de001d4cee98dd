"""The accounts API: Mastodon's accounts and instance endpoints, and Agora's account settings."""
