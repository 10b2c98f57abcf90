"""What the patrons service announces (history listens)."""

from blinker import Namespace

_signals = Namespace()

#: a patron record is being deleted: ``record``, ``uow``
patron_deleted = _signals.signal("patron-deleted")
