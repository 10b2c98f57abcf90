"""The purge-audit job: audit entries are kept twelve calendar months (AUDIT_MAX_AGE_MONTHS)."""

from datetime import date, datetime

from invenio_db import db

from rero_ils_users import clock
from rero_ils_users.jobs import purge_audit
from rero_ils_users.records.audit import AuditEntry


def add(*moments):
    """Entries at local times ``YYYY-MM-DDTHH:MM`` (service time zone)."""
    for moment in moments:
        at = datetime.fromisoformat(moment).replace(tzinfo=clock.zone())
        db.session.add(AuditEntry(at=at, resource="users", pid="1", user_id=1, operation="update", by={"cli": "test"}, changes={}))
    db.session.commit()


def left():
    db.session.expire_all()
    return sorted(e.at.astimezone(clock.zone()).strftime("%Y-%m-%dT%H:%M") for e in db.session.query(AuditEntry))


def test_twelve_month_boundary(app):
    assert app.config["AUDIT_MAX_AGE_MONTHS"] == 12
    add("2025-08-29T23:59", "2025-08-30T00:00", "2025-08-31T08:00", "2026-08-30T12:00")
    assert purge_audit.run(date(2026, 8, 30))["deleted"] == 1  # 2025-08-30 is exactly twelve months before: kept
    assert left() == ["2025-08-30T00:00", "2025-08-31T08:00", "2026-08-30T12:00"]
    assert purge_audit.run(date(2026, 8, 30))["deleted"] == 0  # idempotent
    assert purge_audit.run(date(2026, 8, 31))["deleted"] == 1  # the day after: 2025-08-30 goes
    assert left() == ["2025-08-31T08:00", "2026-08-30T12:00"]


def test_cutoff_counts_calendar_months(app):
    assert purge_audit.cutoff(date(2028, 2, 29)).date() == date(2027, 2, 28)
    assert purge_audit.cutoff(date(2026, 7, 15)).isoformat() == "2025-07-15T00:00:00+02:00"


def test_cli_and_schedule(app):
    from rero_ils_users.cli import cli

    add("2025-01-01T10:00", "2026-11-01T10:00")
    result = app.test_cli_runner().invoke(cli, ["jobs", "run", "purge-audit", "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert '"deleted": 1' in result.output
    assert left() == ["2026-11-01T10:00"]
    schedule = app.config["CELERY_BEAT_SCHEDULE"]
    assert schedule["purge-audit"]["task"] == "rero_ils_users.purge_audit"
    assert schedule["erase-orphans"]["task"] == "rero_ils_users.erase_orphans"
    assert {"rero_ils_users.purge_audit", "rero_ils_users.erase_orphans"} <= set(app.extensions["celery"].tasks)


def test_purge_runs_in_a_real_celery_worker(app, worker):
    from rero_ils_users.jobs.tasks import purge_audit_entries

    add("2025-08-30T12:00", "2025-09-01T12:00")
    assert purge_audit_entries.delay("2026-08-31").get(timeout=60)["deleted"] == 1
    assert left() == ["2025-09-01T12:00"]
