"""Librarian and patron pages: server-rendered shells over the REST API.

The pages only decide who may open them (login, staff, patron) and hand the
browser what it cannot ask the API for (its organisation, the roles it may
assign); ``static/ui.js`` fetches and renders the data through ``/api/``."""

from urllib.parse import quote

from flask import Blueprint, current_app, redirect, render_template, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError as CSRFError

from ..accounts import service as accounts
from ..errors import ValidationError
from ..permissions import policy
from ..permissions.needs import person_of
from ..permissions.policy import MANAGE
from ..permissions.roles import PATRON, PRO_ROLES, RECORD_ROLES
from ..privacy import service as privacy
from ..rest import identity
from . import localized
from .next import same_site_path

blueprint = Blueprint(
    "ui", __name__, template_folder="templates", static_folder="static", static_url_path="/ui/static"
)
localized.register(blueprint)


def _me():
    """What the navigation and the page scripts need to know of the caller."""
    person = person_of(identity())
    if not person.authenticated:
        return {"authenticated": False}
    return {
        "authenticated": True,
        "username": current_user.username,
        "user_id": person.user_id,
        "staff": policy.is_staff(identity()),
        "home": policy.home_page(identity()),
        "patron": any(PATRON in record.roles for record in person.records),
        "can_matrix": policy.can(identity(), MANAGE),
        "organisation": person.organisation_pid or "",
        "assignable": policy.assignable_roles(identity()),
    }


def _home(me):
    return me["home"]


def _page(template, me, status=200, **context):
    return render_template(f"ui/{template}", me=me, record_roles=RECORD_ROLES, pro_roles=PRO_ROLES, **context), status


def _gate(staff=False, matrix=False):
    """``(me, None)`` when the caller may open the page, else ``(me, response)``."""
    me = _me()
    if not me["authenticated"]:
        return me, redirect("/?next=" + quote(request.full_path.rstrip("?"), safe="/?=&"))
    if (staff and not me["staff"]) or (matrix and not me["can_matrix"]):
        return me, _page("forbidden.html", me, 403)
    return me, None


def landing():
    """``/``: the login form, or once logged in ``next`` (a path of this site only) or
    the caller's home page."""
    me = _me()
    next_path = same_site_path(request.args.get("next")) or ""
    if me["authenticated"]:
        return redirect(next_path or _home(me))
    return _page("login.html", me, next_path=next_path)


@blueprint.get("/logout")
def logout_page():
    """A page with the logout button: a GET changes nothing (no cross-site logout)."""
    me = _me()
    if not me["authenticated"]:
        return redirect("/")
    return _page("logout.html", me)


@blueprint.post("/logout")
def logout():
    """The logout form (the navigation's button): needs the session's CSRF token."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.form.get("csrf_token"))
        except CSRFError as exc:
            return _page("logout.html", _me(), 400, error=str(exc))
    accounts.logout()
    return redirect("/", 303)


@blueprint.post("/language")
def language():
    """The header's language selector: kept in the account (the session when anonymous),
    then back to the page it was sent from."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.form.get("csrf_token"))
        except CSRFError:
            return redirect("/", 303)  # a stale form: nothing changed, the page shows the same
    user = current_user if current_user.is_authenticated else None
    try:
        accounts.set_language(user, {"language": request.form.get("language") or None})
    except ValidationError:
        pass  # an unknown language: the page stays as it was
    return redirect(same_site_path(request.form.get("next")) or "/", 303)


@blueprint.get("/reset/<token>")
def reset(token):
    return _page("reset.html", _me(), token=token)


@blueprint.get("/staff/patrons")
def patrons_search():
    me, refused = _gate(staff=True)
    return refused or _page("patrons.html", me)


@blueprint.get("/staff/patrons/<pid>")
def patron_detail(pid):
    me, refused = _gate(staff=True)
    return refused or _page("patron.html", me, pid=pid)


@blueprint.get("/staff/register")
def register():
    me, refused = _gate(staff=True)
    return refused or _page("register.html", me, edit_pid="")


@blueprint.get("/staff/patrons/<pid>/edit")
def patron_edit(pid):
    me, refused = _gate(staff=True)
    return refused or _page("register.html", me, edit_pid=pid)


@blueprint.get("/staff/permissions")
def permissions_matrix():
    me, refused = _gate(matrix=True)
    return refused or _page("matrix.html", me)


@blueprint.get("/account")
def account():
    me, refused = _gate()
    return refused or _page("account.html", me)


@blueprint.get("/account/data")
def account_data():
    """The person's export as a readable page (the same data as the JSON download)."""
    me, refused = _gate()
    return refused or _page("data.html", me, data=privacy.export(identity()))
