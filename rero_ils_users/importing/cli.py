"""``rero-ils-users import`` and ``export`` (docs/import.md)."""

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from invenio_db import db

from .. import settings
from ..errors import DomainError
from . import batches, export, parallel, readers, report
from .rero import References

FORMATS = ("json", "jsonl", "csv", "rero-ils")


def _details(exc):
    return "; ".join(f"{e.field}: {e.message}" for e in exc.errors)


def _references(source, organisations, libraries, patron_types, dry_run):
    """The RERO ILS reference files read, their records found or created (committed
    unless ``dry_run``); the ``References`` that convert the people's rows."""
    refs = References(source)
    files = [(p, readers.container(p)) if p else (None, None) for p in (organisations, libraries, patron_types)]
    try:
        created = refs.load(*(readers.iter_rows(p, kind) if p else () for p, kind in files))
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message} {_details(exc)}") from None
    ids = refs.uow.take_ids()
    if not dry_run:
        db.session.commit()
        batches.index_queued(ids)
    click.echo(f"reference data: {created} record(s) created, {len(refs.pids)} RERO ILS pid(s) known")
    return refs


def _jobs():
    """``IMPORT_JOBS``, or the cores when it is unset."""
    if current_app.config["IMPORT_JOBS"] is None:
        return os.cpu_count() or 1
    try:
        return settings.integer("IMPORT_JOBS", minimum=1, maximum=64)
    except settings.SettingError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the extension (.json, .jsonl, .csv).")
@click.option("--organisations", type=click.Path(exists=True, dir_okay=False), help="rero-ils: RERO ILS's organisations file.")
@click.option("--libraries", type=click.Path(exists=True, dir_okay=False), help="rero-ils: RERO ILS's libraries file.")
@click.option("--patron-types", type=click.Path(exists=True, dir_okay=False), help="rero-ils: RERO ILS's patron types file.")
@click.option("--source", default="rero-ils", show_default=True, help="rero-ils: the installation the pids are of.")
@click.option("--rejects", type=click.Path(dir_okay=False, writable=True), help="Write rejected rows to this CSV file.")
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@click.option("--batch", type=click.IntRange(1, 10000), help="Rows per transaction (default IMPORT_BATCH_SIZE).")
@click.option("--jobs", type=click.IntRange(1, 64), help="Processes writing batches at once (default IMPORT_JOBS: the cores).")
@with_appcontext
def import_people(path, fmt, organisations, libraries, patron_types, source, rejects, dry_run, batch, jobs):
    """Import people (user + patron record) from a JSON, JSON Lines or CSV file (docs/import.md)."""
    rero = fmt == "rero-ils"
    if (organisations or libraries or patron_types) and not rero:
        raise click.UsageError("--organisations, --libraries and --patron-types go with --format rero-ils.")
    try:
        kind = readers.container(path, None if rero else fmt)
        refs = _references(source, organisations, libraries, patron_types, dry_run) if rero else None
        total = readers.count_rows(path, kind) if sys.stderr.isatty() else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"Cannot read {path}: {exc}") from None
    summary = report.Summary()
    rejects_file = report.RejectsFile(rejects) if rejects else None
    options = {
        "rejects": rejects_file, "batch": batch or current_app.config["IMPORT_BATCH_SIZE"], "dry_run": dry_run,
        "convert": refs.convert if refs else None,
    }
    jobs = jobs or _jobs()
    # several writers need PostgreSQL's concurrency; a dry run is one transaction
    if jobs > 1 and not dry_run and db.engine.dialect.name == "postgresql":
        importer = parallel.ParallelImporter(summary, jobs, **options)
    else:
        importer = batches.Importer(summary, **options)
    problem = None
    with report.progress(total) as bar:
        try:
            importer.run(readers.iter_rows(path, kind), progress=bar.update)
        except (ValueError, UnicodeDecodeError) as exc:
            problem = f"Cannot read {path} after row {summary.total}: {exc} (the rows before it were imported)"
        finally:
            if rejects_file:
                rejects_file.close()
    for line in summary.lines(dry_run):
        click.echo(line)
    if problem:
        raise click.ClickException(problem)
    if summary.rejected:
        raise SystemExit(1)


@click.command("export")
@click.option("--organisation", "code", required=True, help="Organisation code.")
@click.option("--format", "fmt", type=click.Choice(("jsonl", "csv")), help="Default: from OUT's extension, else jsonl.")
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@with_appcontext
def export_people(code, fmt, out):
    """Write the people of an organisation as import rows (JSON Lines or CSV) to OUT (default: stdout)."""
    org_pid = export.organisation_pid(code)
    if org_pid is None:
        raise click.BadParameter(f"no organisation with code {code!r}", param_hint="--organisation")
    fmt = fmt or ("csv" if Path(out).suffix.lower() == ".csv" else "jsonl")
    if out == "-":
        count = export.write(click.get_text_stream("stdout"), export.rows(org_pid), fmt)
    else:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            count = export.write(handle, export.rows(org_pid), fmt)
    click.echo(f"{count} row(s) exported", err=True)
