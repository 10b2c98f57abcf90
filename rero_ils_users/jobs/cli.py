"""``rero-ils-users jobs run <job>`` and ``rero-ils-users worker``."""

import json
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from . import erase, expire, purge, purge_audit

JOBS = {expire.NAME: expire.run, purge.NAME: purge.run, purge_audit.NAME: purge_audit.run, erase.NAME: erase.run}


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD") from None


@click.group("jobs")
def jobs_group():
    """Scheduled jobs."""


@jobs_group.command("run")
@click.argument("name", type=click.Choice(sorted(JOBS)))
@click.option("--as-of", callback=_date, metavar="YYYY-MM-DD", help="Run as if this were today.")
@with_appcontext
def run_job(name, as_of):
    """Run a scheduled job now, in this process; prints its counts."""
    counts = JOBS[name](as_of)
    click.echo(json.dumps(counts, sort_keys=True, default=str))
    if counts.get("skipped"):
        raise SystemExit(f"{name} is running in another worker; nothing done.")


@click.command("worker")
@click.option("--beat", is_flag=True, help="Also run the beat scheduler (CELERY_BEAT_SCHEDULE).")
@click.option("--concurrency", "-c", type=int, default=None, help="Worker processes (default: CPUs).")
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.option("--schedule", default=None, help="Beat schedule state file (with --beat).")
@with_appcontext
def worker(beat, concurrency, loglevel, schedule):
    """A Celery worker (mail, notices, queued indexing), with the beat scheduler if asked."""
    celery = current_app.extensions["celery"]
    argv = ["worker", f"--loglevel={loglevel}"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if beat:
        argv.append("--beat")
        if schedule:
            argv.append(f"--schedule={schedule}")
    celery.worker_main(argv)
