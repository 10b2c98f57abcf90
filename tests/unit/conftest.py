"""Unit tests need no search index; the policy ones read the matrix from the database."""

import pytest
from invenio_db import db
from sqlalchemy import text

from rero_ils_users.permissions import matrix


@pytest.fixture()
def matrix_defaults(app):
    """Only the permission tables, back to the default matrix (no index needed)."""
    db.session.rollback()
    db.session.execute(text(
        "TRUNCATE permission_role_grant, permission_seeded_grant, permission_matrix_version, permission_user_deny"
    ))
    matrix.load_defaults()
    db.session.commit()
    yield
    db.session.rollback()
