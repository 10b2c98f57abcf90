"""Organisations are network-level: created and deleted by admin/superuser only."""

from ..errors import ValidationError
from ..permissions import policy
from ..permissions.policy import Target
from ..records import schemas
from ..records.refs import dump_ref, load_ref
from ..records.service import READ_ONLY_FIELDS, RecordService
from .api import Organisation

# resources that point at an organisation register a check here (no import back)
organisation_reference_checks = []


class OrganisationService(RecordService):
    record_cls = Organisation
    action = "org"
    reference_checks = organisation_reference_checks
    in_use_message = "The organisation still has {}."
    conflicts = {
        "organisations_metadata_code": ("code", "An organisation with this code exists already."),
        "organisations_metadata.code": ("code", "An organisation with this code exists already."),
    }

    def target(self, record):
        return Target(organisation_pid=record.get("pid"))

    def columns(self, stored):
        return {"code": stored["code"]}


    def search_filters(self, identity):
        return organisation_filter(identity, "pid")


organisations = OrganisationService()


def organisation_filter(identity, field="organisation.pid", requested=None, personal_data=False):
    """Search filter keeping the organisations the policy lets the caller search."""
    every, organisation = policy.search_organisation(identity, requested, personal_data)
    return [] if every else [{"term": {field: organisation or "-"}}]


class OrganisationScopedService(RecordService):
    """A record owned by one organisation (``organisation`` reference, never changed)."""

    def load(self, identity, data, record=None):
        stored = {k: v for k, v in data.items() if k not in READ_ONLY_FIELDS}
        errors = schemas.field_errors(self.record_cls.schema, stored)
        if not errors:
            ref = load_ref(stored["organisation"], "organisations", "organisation")
            if not isinstance(ref, dict):
                errors.append(ref)
            elif not Organisation.exists(ref["pid"]):
                errors.append(schemas.FieldError("organisation", "No such organisation."))
            elif record is not None and ref["pid"] != record["organisation"]["pid"]:
                errors.append(schemas.FieldError("organisation", "The organisation of a record never changes."))
            else:
                stored["organisation"] = ref
        if errors:
            raise ValidationError(errors=errors)
        return stored

    def dump(self, identity, record):
        data = super().dump(identity, record)
        data["organisation"] = dump_ref("organisations", record["organisation"])
        return data

    def search_filters(self, identity):
        return organisation_filter(identity)
