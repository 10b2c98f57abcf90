"""The user record: personal data, one per person; ``pid`` is the account id."""

from invenio_db import db

from ..accounts.models import User
from ..records import audit
from ..records.api import BaseRecord
from ..records.models import record_model

UserMetadata = record_model(
    "users",
    user_id=db.Column(db.Integer, db.ForeignKey("accounts_user.id", ondelete="CASCADE"), unique=True, nullable=False),
)

LOCKED_FOR_SELF = ("first_name", "last_name", "birth_date")
# what "personal data" is beyond the login (kept on an account-level account whose person is erased)
PERSONAL_FIELDS = (
    "first_name", "last_name", "birth_date", "gender", "street", "postal_code", "city", "country",
    "home_phone", "business_phone", "mobile_phone", "other_phone",
)

audit.watch(UserMetadata, "users")
audit.watch_secret(User, "password", "users")


class UserRecord(BaseRecord):
    resource = "users"
    schema = "users/user-v1.0.0.json"
    model_cls = UserMetadata

    @classmethod
    def create(cls, data, user_id):
        return super().create(data, pid=str(user_id), user_id=user_id)

    @classmethod
    def get_by_user_id(cls, user_id):
        return cls.get_by_pid(str(user_id))

    @property
    def user_id(self):
        return self.model.user_id

    def index_document(self):
        doc = super().index_document()
        if doc.get("birth_date"):
            doc["birth_year"] = doc["birth_date"][:4]
        return doc
