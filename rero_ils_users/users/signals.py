"""What the users service announces; patrons and history listen (they import users, not the reverse).

Every signal is sent with ``sender=current_app._get_current_object()`` and the
caller's ``uow``, so receivers write in the same transaction."""

from blinker import Namespace

_signals = Namespace()

#: personal data changed: ``user_id``, ``before`` and ``after`` (dicts), ``uow``
user_updated = _signals.signal("user-updated")

#: a person was erased (user record and account deleted): ``user_id``, ``uow``; what
#: else holds their data (revisions, history, audit values) goes in the same transaction
user_erased = _signals.signal("user-erased")

#: ``keep_history`` went from true to false: ``user_id``, ``uow``
keep_history_disabled = _signals.signal("keep-history-disabled")
