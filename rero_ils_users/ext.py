"""The one place that wires extensions, blueprints and signals."""

from importlib import import_module

from flask_mail import Mail
from flask_principal import identity_loaded
from flask_security import Security, SQLAlchemyUserDatastore, current_user
from flask_wtf import CSRFProtect
from invenio_db import InvenioDB, db
from invenio_jsonschemas import InvenioJSONSchemas

from . import rest
from .accounts import auth as accounts_auth
from .accounts.models import Role, User
from .accounts.passwords import PolicyPasswordUtil
from .jobs import tasks  # noqa: F401  (registers the tasks)
from .jobs.celery import init_celery
from .paths import jsonschemas_dir
from .patrons import providers as patron_providers
from .permissions import needs
from .records.search import SearchIndexes
from .records.sqlite import make_transactional

BLUEPRINTS = (
    "rero_ils_users.views",
    "rero_ils_users.organisations.views",
    "rero_ils_users.libraries.views",
    "rero_ils_users.patron_types.views",
    "rero_ils_users.accounts.views",
    "rero_ils_users.users.views",
    "rero_ils_users.patrons.views",
    "rero_ils_users.history.views",
    "rero_ils_users.permissions.views",
    "rero_ils_users.monitoring.views",
    "rero_ils_users.ui.views",
)

# resources describing their records to the permissions package (the UI's buttons)
PERMISSION_TARGETS = (
    "rero_ils_users.organisations.permissions",
    "rero_ils_users.libraries.permissions",
    "rero_ils_users.patron_types.permissions",
    "rero_ils_users.users.permissions",
    "rero_ils_users.patrons.permissions",
)


def _on_identity_loaded(sender, identity):
    """Give every request's identity its person and needs (anonymous too)."""
    if current_user and current_user.is_authenticated:
        person = needs.load_person(current_user.id, current_user.role_names, token_only=accounts_auth.token_only(current_user))
    else:
        person = needs.ANONYMOUS
    needs.provide(identity, person)


class ReroIlsUsers:
    def __init__(self, app):
        # Import every blueprint (and so every model) first: invenio-db builds the
        # revision tables of the models it knows when it initialises.
        blueprints = [import_module(name).blueprint for name in BLUEPRINTS]
        InvenioDB(app, entry_point_group=False)
        with app.app_context():
            make_transactional(db.engine)
        schemas = InvenioJSONSchemas(app, entry_point_group=False)
        schemas.register_schemas_dir(str(jsonschemas_dir()))
        app.extensions["rero-search"] = SearchIndexes(app)
        app.extensions["rero-datastore"] = datastore = SQLAlchemyUserDatastore(db, User, Role)
        CSRFProtect(app)
        # no Flask-Security blueprint: its views would bypass the lockout (accounts/views.py)
        Security(app, datastore, register_blueprint=False, password_util_cls=PolicyPasswordUtil)
        accounts_auth.init_app(app)
        Mail(app)
        init_celery(app)

        identity_loaded.connect_via(app)(_on_identity_loaded)
        rest.register_error_handlers(app)
        patron_providers.register(app)
        for name in PERMISSION_TARGETS:
            import_module(name).register()
        for blueprint in blueprints:
            app.register_blueprint(blueprint)
        app.extensions["rero-ils-users"] = self
