"""Entry point of ``celery -A rero_ils_users.worker``: an app-bound Celery (beside
``cli.py``: both build the app; the jobs package never imports the factory)."""

from .factory import create_app

app = create_app()
celery = app.extensions["celery"]
