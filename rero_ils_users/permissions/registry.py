"""What resources tell the permissions package, so it never imports them.

A resource registers, for ``GET /api/permissions/<resource>/<pid>`` (the UI's
buttons), a function ``describe(pid) -> RecordTarget`` that loads the record
(raising ``NotFound`` for an unknown pid) and says what the policy needs: the
``Target`` (or several: a user is seen through each of their patron records),
and extra checks per verb that name why an allowed action would still be
refused (``"delete": [fn(identity) -> reason or None]``). A resource whose
service has access rules beyond one action on one target (users: the person
themself, network roles) gives ``decide(identity, verb) -> policy.Decision``
instead, the very decision its endpoints take: the buttons then agree with them.
"""

from dataclasses import dataclass, field

from ..errors import NotFound


@dataclass
class RecordTarget:
    targets: tuple  # one or more policy.Target; an action is allowed if one allows it
    extra_checks: dict = field(default_factory=dict)  # verb -> [fn(identity) -> reason | None]
    actions: dict = field(default_factory=dict)  # verb -> action, when not "<shortcut>-<verb>"
    decide: object = None  # fn(identity, verb) -> policy.Decision


@dataclass(frozen=True)
class _Registration:
    shortcut: str
    describe: object


_records = {}


def register_record_target(resource, shortcut, describe):
    """``describe(pid) -> RecordTarget | (Target, extra_checks)`` for ``resource``."""
    _records[resource] = _Registration(shortcut, describe)


def record_target(resource, pid):
    """``(shortcut, RecordTarget)`` of a record; ``NotFound`` for an unknown resource or pid."""
    registration = _records.get(resource)
    if registration is None:
        raise NotFound(f"No resource {resource!r}.")
    described = registration.describe(pid)
    if isinstance(described, tuple):
        target, extra = described
        described = RecordTarget(targets=(target,), extra_checks=extra or {})
    elif not isinstance(described.targets, (tuple, list)):
        described.targets = (described.targets,)
    return registration.shortcut, described
