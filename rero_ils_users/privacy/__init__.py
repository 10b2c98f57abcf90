"""Privacy: the audit of personal data (reads), the person's own export, the erasure
of orphaned personal data."""
