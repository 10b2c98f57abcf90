"""``rero-ils-users demo`` and ``reindex``: data in bulk from the command line (``import`` and
``export``: importing/cli.py)."""

import warnings

import click
from flask.cli import with_appcontext

from . import demo as demo_data
from .errors import DomainError
from .records import audit, consistency, indexer
from .records import reindex as reindexing

# savepoints per record (records/service.py) make SQLAlchemy warn on success too; setup.cfg hides it in tests
warnings.filterwarnings("ignore", "nested transaction already deassociated")


@click.command()
@with_appcontext
def demo():
    """Load demo organisations, libraries, patron types and people."""
    if demo_data.demo_loaded():
        click.echo(f"Demo data is already loaded (organisation '{demo_data.ORGANISATIONS[0]['code']}' exists); nothing to do.")
        return
    click.echo("Loading demo data...")
    try:
        with audit.acting({"cli": "demo"}):
            logins = demo_data.load()
    except DomainError as exc:
        details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise click.ClickException(f"Demo not loaded (nothing was kept): {exc.message} {details}") from None
    orgs = len(demo_data.ORGANISATIONS)
    people = len({username for username, _, org in logins if org != "(network)"})
    click.echo(f"Created {orgs} organisations and {people} people. Every demo login has the password {demo_data.DEMO_PASSWORD}\n")
    width = max(len(username) for username, _, _ in logins)
    click.echo(f"{'username':<{width}}  {'organisation':<12}  {'password':<10}  roles")
    click.echo(f"{'-' * width}  {'-' * 12}  {'-' * 10}  {'-' * 5}")
    for username, roles, org in logins:
        click.echo(f"{username:<{width}}  {org:<12}  {demo_data.DEMO_PASSWORD:<10}  {', '.join(roles)}")
    if all(username != "admin" for username, _, _ in logins):
        click.echo("(an account named 'admin' existed already: it was left as it was)")


@click.command()
@click.argument("resource", required=False)
@click.option("--queue", is_flag=True, help="Only process the durable index queue (pending writes).")
@click.option("--failed", "list_failed", is_flag=True, help="With --queue: list the rows parked after repeated refusals.")
@click.option("--retry-failed", is_flag=True, help="With --queue: queue the parked rows again and process them.")
@click.option("--repair", is_flag=True, help="Only index what is missing and delete what is extra (GET /api/monitoring/consistency).")
@click.option("--batch", default=500, show_default=True, help="Documents per bulk request.")
@with_appcontext
def reindex(resource, queue, list_failed, retry_failed, repair, batch):
    """Rebuild the search index of RESOURCE (default: all) from the database."""
    if repair and queue:
        raise click.UsageError("Use either --repair or --queue.")
    if (list_failed or retry_failed) and not queue:
        raise click.UsageError("--failed and --retry-failed go with --queue.")
    if list_failed and retry_failed:
        raise click.UsageError("Use either --failed or --retry-failed.")
    if list_failed:
        _list_parked()
        return
    if queue:
        if retry_failed:
            click.echo(f"{indexer.release_parked()} parked row(s) queued again")
        _process_queue(batch)
        return
    try:
        names = reindexing.resources(resource)
    except KeyError:
        known = ", ".join(reindexing.resources())
        raise click.BadParameter(f"unknown resource {resource!r}; one of: {known}", param_hint="RESOURCE") from None
    if repair:
        _repair(names, batch)
        return
    failed = 0
    for name in names:
        with click.progressbar(length=reindexing.count(name), label=f"{name:<13}", show_pos=True) as bar:
            try:
                done = reindexing.reindex(name, batch=batch, progress=bar.update)
            except reindexing.RebuildRunning:
                raise click.ClickException(f"{name}: another reindex of it is running; try again when it ends.") from None
        kept = "" if done.swapped else " (not swapped: the old index keeps serving)"
        click.echo(f"{name}: {done.indexed} indexed, {done.stale} stale removed, {len(done.errors)} error(s){kept}")
        for error in done.errors[:5]:
            click.echo(f"  {error.get('_id')}: {error.get('error')}", err=True)
        failed += len(done.errors)
    if failed:
        raise click.ClickException(f"{failed} document(s) could not be indexed.")


def _repair(names, batch):
    left = 0
    for name in names:
        indexed, deleted = consistency.repair(name, batch=batch)
        after = consistency.report(name)
        left += len(after["missing"]) + len(after["extra"])
        click.echo(
            f"{name}: {indexed} missing indexed, {deleted} extra deleted;"
            f" now {after['database']} in the database, {after['index']} in the index"
        )
    if left:
        raise click.ClickException(f"{left} difference(s) remain (a write meanwhile, or documents the index refuses).")


def _process_queue(batch):
    done = indexer.process_queue(batch=batch)
    pending, parked = indexer.queue_counts()
    click.echo(f"{done} queued document(s) indexed; {pending} left in the queue; {parked} parked as failed")
    if parked:
        click.echo("`reindex --queue --failed` lists the parked rows; once their data is fixed, `--retry-failed`.", err=True)
    if pending or parked:
        raise click.ClickException("Some documents stay queued (index unreachable or refused them).")


def _list_parked():
    rows = indexer.parked()
    if not rows:
        click.echo("No parked rows in the index queue.")
        return
    table = [
        (row.pid_type, row.pid, str(row.attempts), f"{row.failed_at:%Y-%m-%d %H:%M:%S}", " ".join((row.last_error or "").split()))
        for row in rows
    ]
    header = ("resource", "pid", "attempts", "failed at (UTC)", "error")
    widths = [max(len(line[i]) for line in (header, *table)) for i in range(4)]
    for line in (header, *table):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[4])
    click.echo(f"{len(rows)} parked row(s)")
