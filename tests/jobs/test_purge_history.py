"""The purge-history job: six calendar months, in the service's time zone, batched."""

from datetime import date, datetime

from invenio_db import db

from rero_ils_users import clock
from rero_ils_users.history.api import HistoryEntry
from rero_ils_users.history.service import cutoff
from rero_ils_users.jobs import purge
from rero_ils_users.jobs.lock import job_lock


def add(*moments, patron_pid="1"):
    """History rows at local times ``YYYY-MM-DDTHH:MM`` (service time zone)."""
    for moment in moments:
        when = datetime.fromisoformat(moment).replace(tzinfo=clock.zone())
        data = {"action": "checkout", "date": when.isoformat(), "item": {"barcode": "I1", "title": "T"}, "library": {"pid": "1"}}
        db.session.add(HistoryEntry(patron_pid=patron_pid, user_id=1, organisation_pid="1", date=when, data=data))
    db.session.commit()


def left():
    db.session.expire_all()
    return sorted(e.date.astimezone(clock.zone()).strftime("%Y-%m-%dT%H:%M") for e in db.session.query(HistoryEntry))


def test_cutoff_counts_calendar_months(app):
    assert cutoff(date(2026, 8, 31)).date() == date(2026, 2, 28)
    assert cutoff(date(2028, 8, 31)).date() == date(2028, 2, 29)
    assert cutoff(date(2026, 9, 1)).date() == date(2026, 3, 1)
    assert cutoff(date(2026, 7, 15)).isoformat() == "2026-01-15T00:00:00+01:00"


def test_six_month_boundary_as_of_the_end_of_august(app):
    add("2026-02-27T23:59", "2026-02-28T00:00", "2026-03-01T08:00", "2026-08-30T12:00")
    assert purge.run(date(2026, 8, 30))["deleted"] == 1  # 2026-02-28 is exactly six months before
    assert left() == ["2026-02-28T00:00", "2026-03-01T08:00", "2026-08-30T12:00"]
    assert purge.run(date(2026, 8, 31))["deleted"] == 0  # 31 August minus six months is 28 February
    assert purge.run(date(2026, 8, 31))["deleted"] == 0  # idempotent
    assert purge.run(date(2026, 9, 1))["deleted"] == 1  # the day after: 28 February goes
    assert left() == ["2026-03-01T08:00", "2026-08-30T12:00"]
    assert purge.run(date(2026, 9, 2))["deleted"] == 1
    assert left() == ["2026-08-30T12:00"]


def test_purges_in_batches(app):
    app.config["JOBS_BATCH_SIZE"] = 3
    try:
        add(*[f"2025-01-{day:02d}T10:00" for day in range(1, 11)], "2026-11-01T10:00")
        assert purge.run(date(2026, 11, 23))["deleted"] == 10
    finally:
        app.config["JOBS_BATCH_SIZE"] = 500
    assert left() == ["2026-11-01T10:00"]


def test_a_run_while_another_holds_the_lock_is_skipped(app):
    add("2025-01-01T10:00")
    with job_lock(purge.NAME):
        assert purge.run(date(2026, 11, 23)) == {"skipped": "locked"}
    assert len(left()) == 1
    assert purge.run(date(2026, 11, 23))["deleted"] == 1


def test_purge_runs_in_a_real_celery_worker(app, worker):
    from rero_ils_users.jobs.tasks import purge_history

    add("2026-02-27T12:00", "2026-03-01T12:00")
    assert purge_history.delay("2026-08-31").get(timeout=60)["deleted"] == 1
    assert left() == ["2026-03-01T12:00"]


def test_cli_purges_in_process(app):
    from rero_ils_users.cli import cli

    add("2026-02-27T12:00", "2026-03-01T12:00")
    result = app.test_cli_runner().invoke(cli, ["jobs", "run", "purge-history", "--as-of", "2026-08-31"])
    assert result.exit_code == 0, result.output
    assert '"deleted": 1' in result.output
    assert left() == ["2026-03-01T12:00"]
