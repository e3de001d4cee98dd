"""Admin for the review queue, reports, strikes and audit records."""
