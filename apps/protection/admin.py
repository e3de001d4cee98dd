"""Protection's back-office screens."""
