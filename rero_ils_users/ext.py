"""The one place that wires extensions, blueprints and signals."""

from flask_mail import Mail
from flask_principal import identity_loaded
from flask_security import Security, SQLAlchemyUserDatastore, current_user
from flask_wtf import CSRFProtect
from invenio_db import InvenioDB, db
from invenio_jsonschemas import InvenioJSONSchemas

from . import headers, i18n, rest, views
from .accounts import auth as accounts_auth
from .accounts import caller as accounts_caller
from .accounts import views as accounts_views
from .accounts.models import Role, User
from .accounts.passwords import PolicyPasswordUtil
from .history import views as history_views
from .importing import models as importing_models  # noqa: F401  (the table of imported pids)
from .jobs import tasks  # noqa: F401  (registers the tasks)
from .jobs.celery import init_celery
from .libraries import permissions as library_permissions
from .libraries import views as library_views
from .monitoring import views as monitoring_views
from .openapi import views as openapi_views
from .organisations import permissions as organisation_permissions
from .organisations import views as organisation_views
from .paths import jsonschemas_dir
from .patron_types import permissions as patron_type_permissions
from .patron_types import views as patron_type_views
from .patrons import permissions as patron_permissions
from .patrons import providers as patron_providers
from .patrons import views as patron_views
from .permissions import needs
from .permissions_api import views as permissions_views
from .privacy import views as privacy_views
from .records.ping import ping_when_idle
from .records.search import SearchIndexes
from .records.sqlite import make_transactional
from .ui import views as ui_views
from .users import permissions as user_permissions
from .users import views as user_views

# Importing them (and so every model) first matters: invenio-db builds the revision
# tables of the models it knows when it initialises.
BLUEPRINTS = (
    views.blueprint,
    organisation_views.blueprint,
    library_views.blueprint,
    patron_type_views.blueprint,
    accounts_views.blueprint,
    user_views.blueprint,
    patron_views.blueprint,
    history_views.blueprint,
    permissions_views.blueprint,
    privacy_views.blueprint,
    monitoring_views.blueprint,
    openapi_views.blueprint,
    ui_views.blueprint,
)

# resources describing their records to the permissions package (the UI's buttons)
PERMISSION_TARGETS = (
    organisation_permissions,
    library_permissions,
    patron_type_permissions,
    user_permissions,
    patron_permissions,
)


def _on_identity_loaded(sender, identity):
    """Give every request's identity its person and needs (anonymous too)."""
    if current_user and current_user.is_authenticated:
        accounts_caller.provide(identity, current_user, accounts_auth.token_only(current_user))
    else:
        needs.provide(identity, needs.ANONYMOUS)


class ReroIlsUsers:
    def __init__(self, app):
        InvenioDB(app, entry_point_group=False)
        with app.app_context():
            make_transactional(db.engine)
            ping_when_idle(db.engine, app.config["DB_PING_IDLE_SECONDS"])
        schemas = InvenioJSONSchemas(app, entry_point_group=False)
        schemas.register_schemas_dir(str(jsonschemas_dir()))
        app.extensions["rero-search"] = SearchIndexes(app)
        app.extensions["rero-datastore"] = datastore = SQLAlchemyUserDatastore(db, User, Role)
        i18n.init_app(app)  # before Flask-Security, which translates with Flask-Babel too
        CSRFProtect(app)
        # no Flask-Security blueprint: its views would bypass the lockout (accounts/views.py)
        Security(app, datastore, register_blueprint=False, password_util_cls=PolicyPasswordUtil)
        accounts_auth.init_app(app)
        Mail(app)
        init_celery(app)

        identity_loaded.connect_via(app)(_on_identity_loaded)
        rest.register_error_handlers(app)
        headers.init_app(app)
        patron_providers.register(app)
        for resource in PERMISSION_TARGETS:
            resource.register()
        for blueprint in BLUEPRINTS:
            app.register_blueprint(blueprint)
        app.extensions["rero-ils-users"] = self
