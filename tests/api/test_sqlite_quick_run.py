"""The quick local run (scripts/run) stores on SQLite: conflicts are 409s and a
refused unit of work leaves nothing half-written there too."""

import pytest
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateTable

from rero_ils_users.accounts.models import User
from rero_ils_users.errors import Conflict
from rero_ils_users.patrons.service import patrons
from rero_ils_users.permissions.needs import system_identity
from rero_ils_users.records.uow import UnitOfWork
from rero_ils_users.users.service import users
from tests.helpers import make_org, make_patron_type, make_person, record_data, user_data


@compiles(CreateTable, "sqlite")
def _plain_create_table(element, compiler, **kwargs):
    """pytest-invenio makes every CREATE TABLE "UNLOGGED" once a PostgreSQL module ran."""
    return compiler.visit_create_table(element, **kwargs)


@pytest.fixture(scope="module")
def app_config(app_config, tmp_path_factory):
    db_file = tmp_path_factory.mktemp("quick") / "quick-run.db"
    return {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}"}


def test_runs_on_sqlite(app):
    from invenio_db import db

    assert db.engine.name == "sqlite"


def test_refused_person_leaves_no_half_behind_and_conflict_is_409(app):
    org = make_org()
    ptype = make_patron_type(org)
    make_person(org, ["patron"], ptype=ptype, barcode="DUP-000001")
    before = User.query.count()
    uow = UnitOfWork()
    with pytest.raises(Conflict) as info:
        record, _ = users.create(system_identity(), user_data(), uow=uow)
        patrons.create(system_identity(), record_data(record.user_id, org, ["patron"], ptype=ptype, barcode="DUP-000001"), uow=uow)
    uow.rollback()
    assert info.value.errors[0].field == "patron.barcode"
    assert User.query.count() == before


def test_unique_username_and_one_record_per_organisation_on_sqlite(app):
    org = make_org()
    user_id, _ = make_person(org, ["patron"], user={"username": "Quick_User"})
    with pytest.raises(Conflict) as info:
        users.create(system_identity(), user_data(username="quick_user"))
    assert info.value.errors[0].field == "username"
    with pytest.raises(Conflict) as info:
        make_person(org, ["patron"], user_id=user_id)
    assert info.value.errors[0].field == "user_id"
