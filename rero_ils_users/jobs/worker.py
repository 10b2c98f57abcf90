"""Entry point of ``celery -A rero_ils_users.jobs.worker``: an app-bound Celery."""

from ..factory import create_app

app = create_app()
celery = app.extensions["celery"]
