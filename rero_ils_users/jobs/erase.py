"""The ``erase-orphans`` job: personal data of people with no patron record left,
``ORPHAN_RETENTION_DAYS`` after they were created or lost their last record
(``privacy/erasure.py`` has the rules)."""

from ..privacy import erasure
from .lock import locked_run

NAME = "erase-orphans"


def run(as_of=None):
    return locked_run(NAME, erasure.erase_orphans, as_of=as_of)
