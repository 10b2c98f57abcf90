from invenio_db import db

from ..records.api import BaseRecord
from ..records.models import pid_counter, record_model

LibraryMetadata = record_model(
    "libraries",
    organisation_pid=db.Column(db.String(64), nullable=True, index=True),
    code=db.Column(db.String(64), nullable=True),
    __table_args__=(db.UniqueConstraint("organisation_pid", "code", name="uq_libraries_org_code"),),
)
LibraryPid = pid_counter("libraries")


class Library(BaseRecord):
    resource = "libraries"
    schema = "libraries/library-v1.0.0.json"
    model_cls = LibraryMetadata
    pid_model = LibraryPid

    @classmethod
    def pids_of_organisation(cls, organisation_pid):
        rows = db.session.query(cls.model_cls.pid).filter_by(organisation_pid=organisation_pid)
        return {pid for (pid,) in rows}
