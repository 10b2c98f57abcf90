"""What the users service announces; patrons and history listen (they import users, not the reverse).

Every signal is sent with ``sender=current_app._get_current_object()`` and the
caller's ``uow``, so receivers write in the same transaction."""

from blinker import Namespace

_signals = Namespace()

#: personal data changed: ``user_id``, ``before`` and ``after`` (dicts), ``uow``
user_updated = _signals.signal("user-updated")

#: ``keep_history`` went from true to false: ``user_id``, ``uow``
keep_history_disabled = _signals.signal("keep-history-disabled")
