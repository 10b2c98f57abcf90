"""The Celery app, bound to the Flask config (``CELERY_*`` keys)."""

from celery import Celery, Task

celery = Celery("rero_ils_users")


def init_celery(app):
    """Configure ``celery`` from ``app`` and run every task in its app context."""

    class AppTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery.config_from_object(app.config, namespace="CELERY")
    celery.Task = AppTask
    celery.flask_app = app
    app.extensions["celery"] = celery
    return celery
