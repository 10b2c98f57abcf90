"""The REST resource of API.md section 5 over the permission core (``permissions/``):
the matrix and its changes, what a caller may do and why, per-user denies, the audit."""
