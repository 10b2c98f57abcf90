"""The ``rero-ils-users`` command line."""

import click
from flask.cli import FlaskGroup, with_appcontext
from invenio_db import db

from .factory import create_app
from .permissions import matrix
from .records.search import current_search


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=False)
def cli():
    """Users, patrons and permissions of a RERO ILS library network."""


@cli.command()
@click.option("--drop", is_flag=True, help="Start from empty: drop tables and indexes first.")
@with_appcontext
def init(drop):
    """Create tables, indexes and the default role/action grants (idempotent)."""
    if drop:
        db.drop_all()
        current_search.delete()
    db.create_all()
    created = current_search.create()
    added = matrix.load_defaults()
    db.session.commit()
    click.echo(f"tables ready; {len(created)} index(es) created; {added} default grant(s) added")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--debug/--no-debug", default=False)
@with_appcontext
def run(host, port, debug):
    """Serve the UI and the API."""
    from flask import current_app

    current_app.run(host=host, port=port, debug=debug, use_reloader=False)
