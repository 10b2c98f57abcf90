"""``rero-ils-users users create`` and ``rero-ils-users tokens create|revoke|list``:
accounts with account-level roles and their API tokens, made by an operator."""

import click
from flask.cli import with_appcontext
from invenio_db import db
from sqlalchemy import func

from ..errors import DomainError
from ..permissions.roles import ACCOUNT_ROLES
from . import service, tokens
from .models import User


def _fail(exc):
    lines = [f"{e.field}: {e.message}" for e in exc.errors] or [exc.message]
    raise click.ClickException("; ".join(lines))


def _account(username):
    user = User.query.filter(func.lower(User.username) == username.lower()).one_or_none()
    if user is None:
        raise click.ClickException(f"No user named {username}.")
    return user


@click.group()
def users():
    """Login accounts."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--email", default=None)
@click.option("--password", required=True, help="Must satisfy the password policy.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ACCOUNT_ROLES), help="Account-level role (repeatable).")
@with_appcontext
def create_user(username, email, password, roles):
    """Create an account (e.g. the first superuser); prints its id."""
    try:
        user = service.create_account(username, password, email=email, roles=roles)
    except DomainError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    click.echo(user.id)


@click.group("tokens")
def tokens_group():
    """API tokens (``Authorization: Bearer``)."""


@tokens_group.command("create")
@click.option("--user", "username", required=True)
@click.option("--name", required=True)
@with_appcontext
def create_token(username, name):
    """Create a token; prints only the token (shown once, stored hashed)."""
    try:
        token = tokens.create(_account(username), name)
    except DomainError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    click.echo(token)


@tokens_group.command("revoke")
@click.option("--user", "username", required=True)
@click.option("--name", default=None)
@click.option("--id", "token_id", type=int, default=None)
@with_appcontext
def revoke_token(username, name, token_id):
    """Revoke a token by name or id."""
    try:
        count = tokens.revoke(_account(username), name=name, token_id=token_id)
    except DomainError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    click.echo(f"{count} token(s) revoked")


@tokens_group.command("list")
@click.option("--user", "username", required=True)
@with_appcontext
def list_tokens(username):
    """Active tokens of a user (id, name, creation date; never the token)."""
    for token in tokens.active(_account(username)):
        click.echo(f"{token.id}\t{token.name}\t{token.created:%Y-%m-%d %H:%M}")
