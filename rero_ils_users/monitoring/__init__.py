"""Health of what the service depends on, for the ``monitoring`` role."""
