"""The human side: cases, reports, strikes and the audit trail (filled in by the cases work)."""
