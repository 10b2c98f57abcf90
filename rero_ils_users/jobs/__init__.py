"""Celery app and the scheduled jobs (thin: they call services)."""
