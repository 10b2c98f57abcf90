"""Libraries follow the matrix (lib-*) within the caller's organisation; only
their own staff (or full permissions) update or delete them."""

from ..errors import counted
from ..organisations.service import OrganisationScopedService, organisation_reference_checks
from ..permissions.policy import Target
from .api import Library

# resources that point at a library register a check here (no import back)
library_reference_checks = []


class LibraryService(OrganisationScopedService):
    record_cls = Library
    action = "lib"
    reference_checks = library_reference_checks
    in_use_message = "The library is still referenced by {}."
    conflicts = {
        "uq_libraries_org_code": ("code", "A library with this code exists already in the organisation."),
        "libraries_metadata.organisation_pid, libraries_metadata.code": (
            "code",
            "A library with this code exists already in the organisation.",
        ),
    }

    def target(self, record):
        return Target(
            organisation_pid=record["organisation"]["pid"],
            library_pids=frozenset({record["pid"]}) if record.get("pid") else frozenset(),
            # updated or deleted only by its own staff (or full permissions); creating
            # one in the organisation needs no library
            professional=bool(record.get("pid")),
        )

    def columns(self, stored):
        return {"organisation_pid": stored["organisation"]["pid"], "code": stored["code"]}



libraries = LibraryService()


def _libraries_left(organisation_pid):
    count = len(Library.pids_of_organisation(organisation_pid))
    return counted(count, "library", "libraries") if count else None


organisation_reference_checks.append(_libraries_left)
