"""Patron types follow the matrix (ptty-*) within the caller's organisation."""

from invenio_db import db

from ..errors import counted
from ..organisations.service import OrganisationScopedService, organisation_reference_checks
from .api import PatronType

# resources that point at a patron type register a check here (no import back)
patron_type_reference_checks = []


class PatronTypeService(OrganisationScopedService):
    record_cls = PatronType
    action = "ptty"
    reference_checks = patron_type_reference_checks
    in_use_message = "The patron type is still used by {}."

    def columns(self, stored):
        return {"organisation_pid": stored["organisation"]["pid"]}



patron_types = PatronTypeService()


def _types_left(organisation_pid):
    count = db.session.query(PatronType.model_cls.id).filter_by(organisation_pid=organisation_pid).count()
    return counted(count, "patron type", "patron types") if count else None


organisation_reference_checks.append(_types_left)
