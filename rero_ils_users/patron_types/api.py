from invenio_db import db

from ..records.api import BaseRecord
from ..records.models import pid_counter, record_model

PatronTypeMetadata = record_model(
    "patron_types", organisation_pid=db.Column(db.String(64), nullable=True, index=True)
)
PatronTypePid = pid_counter("patron_types")


class PatronType(BaseRecord):
    resource = "patron_types"
    schema = "patron_types/patron_type-v1.0.0.json"
    model_cls = PatronTypeMetadata
    pid_model = PatronTypePid
