"""Librarian and patron pages: server-rendered shells over the REST API.

The pages only decide who may open them (login, staff, patron) and hand the
browser what it cannot ask the API for (its organisation, the roles it may
assign); ``static/ui.js`` fetches and renders the data through ``/api/``."""

from urllib.parse import quote

from flask import Blueprint, redirect, render_template, request
from flask_login import current_user

from ..accounts import service as accounts
from ..permissions import policy
from ..permissions.needs import person_of
from ..permissions.policy import MANAGE
from ..permissions.roles import PATRON, PRO_ROLES, RECORD_ROLES
from ..privacy import service as privacy
from ..rest import identity

blueprint = Blueprint(
    "ui", __name__, template_folder="templates", static_folder="static", static_url_path="/ui/static"
)


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
    """``/``: the login form, or the caller's home page once logged in."""
    me = _me()
    if me["authenticated"]:
        return redirect(_home(me))
    return _page("login.html", me)


@blueprint.get("/logout")
def logout():
    accounts.logout()
    return redirect("/")


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
