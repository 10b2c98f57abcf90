"""The ``rero-ils-users`` command line."""

import click
from flask.cli import FlaskGroup, with_appcontext
from invenio_db import db

from . import data_cli, dbupgrade
from .accounts import cli as accounts_cli
from .factory import create_app
from .importing import cli as importing_cli
from .jobs import cli as jobs_cli
from .permissions import matrix
from .records import audit
from .records.search import current_search


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=False)
@click.pass_context
def cli(ctx):
    """Users, patrons and permissions of a RERO ILS library network."""
    # every write of the command is audited as {"cli": "<command>"} (jobs set their own)
    ctx.with_resource(audit.acting(lambda: {"cli": command_name()}))


def command_name():
    """The (sub)command running, without its arguments: "import", "users create". Asked
    at write time (the group's callback runs before Click has chosen the subcommand)."""
    ctx = click.get_current_context(silent=True)
    words = ctx.command_path.split()[1:] if ctx is not None else []
    return " ".join(words) or "unknown"


@cli.command()
@click.option("--drop", is_flag=True, help="Start from empty: drop tables and indexes first.")
@with_appcontext
def init(drop):
    """Create tables, indexes and the default role/action grants (idempotent)."""
    if drop:
        db.drop_all()
        current_search.delete()
    db.create_all()
    columns = dbupgrade.add_missing_columns()
    created = current_search.create()
    added = matrix.load_defaults()
    db.session.commit()
    if columns:
        click.echo(f"column(s) added: {', '.join(columns)}")
    click.echo(f"tables ready; {len(created)} index(es) created; {added} default grant(s) added")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="gunicorn workers  [default: the cores]")
@click.option("--debug/--no-debug", default=False, help="the Flask development server, with the debugger")
def run(host, port, workers, debug):
    """Serve the UI and the API with gunicorn (the development server with --debug)."""
    if debug:
        from werkzeug.serving import run_simple

        # app.run() does nothing under a Flask CLI command (FLASK_RUN_FROM_CLI): serve directly
        app = create_app()
        app.debug = True
        run_simple(host, port, app, use_debugger=True, use_reloader=False, threaded=True)
        return
    from . import serve

    serve.serve(create_app, host, port, workers or serve.default_workers())


# --- accounts: `users create`, `tokens create|revoke|list` -----------------------
cli.add_command(accounts_cli.users)
cli.add_command(accounts_cli.tokens_group)
cli.add_command(jobs_cli.jobs_group)
cli.add_command(jobs_cli.worker)

# --- data in bulk: `demo`, `reindex [RESOURCE] [--queue]`, `import FILE`, `export` ---
cli.add_command(data_cli.demo)
cli.add_command(data_cli.reindex)
cli.add_command(importing_cli.import_people)
cli.add_command(importing_cli.export_people)
