"""Protection's models, one module per area."""
