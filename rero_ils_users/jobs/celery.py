"""The Celery app, bound to the Flask config (``CELERY_*`` keys)."""

from celery import Celery, Task


class AppTask(Task):
    """Runs in the app context of the Flask app last bound with ``init_celery``.

    Task classes are built once, when Celery finalises; reading the app at call
    time (not closing over it) keeps them right when several apps are made, as
    the test suite does.
    """

    def __call__(self, *args, **kwargs):
        with self.app.flask_app.app_context():
            return self.run(*args, **kwargs)


celery = Celery("rero_ils_users", task_cls=AppTask)


def init_celery(app):
    """Configure ``celery`` from ``app`` and run every task in its app context."""
    celery.config_from_object(app.config, namespace="CELERY")
    celery.flask_app = app
    app.extensions["celery"] = celery
    return celery
