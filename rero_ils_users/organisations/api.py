from invenio_db import db

from ..records.api import BaseRecord
from ..records.models import pid_counter, record_model

OrganisationMetadata = record_model("organisations", code=db.Column(db.String(64), unique=True, nullable=True))
OrganisationPid = pid_counter("organisations")


class Organisation(BaseRecord):
    resource = "organisations"
    schema = "organisations/organisation-v1.0.0.json"
    model_cls = OrganisationMetadata
    pid_model = OrganisationPid
