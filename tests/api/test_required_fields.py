"""Every field a form requires says so to everyone: ``required`` (the browser and its
validation) and ``aria-required="true"`` (screen readers), on every page as the server
renders it, whether the requirement is written on the field or shown by its label's
asterisk (``<span class="req">``). The page scripts build no required field of their own
without both (a scan of their sources)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import make_desk, make_person

FIELDS = {"input", "select", "textarea"}
SCRIPTS = Path(__file__).resolve().parents[2] / "rero_ils_users" / "ui" / "static"


class Fields(HTMLParser):
    """The form fields of a page, and the ids of the fields whose label is marked required."""

    def __init__(self):
        super().__init__()
        self.fields, self.marked, self._label = [], set(), None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._label = attrs.get("for")
        elif tag == "span" and self._label and "req" in (attrs.get("class") or "").split():
            self.marked.add(self._label)
        elif tag in FIELDS and attrs.get("type") != "hidden":
            self.fields.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None


def problems_of(html):
    parser = Fields()
    parser.feed(html)
    out = []
    for tag, attrs in parser.fields:
        name = attrs.get("id") or attrs.get("name")
        wanted = "required" in attrs or "aria-required" in attrs or attrs.get("id") in parser.marked
        if wanted and ("required" not in attrs or attrs.get("aria-required") != "true"):
            out.append(f"<{tag} {name}>: required={'required' in attrs}, aria-required={attrs.get('aria-required')!r}")
    return out, parser.fields


@pytest.fixture()
def pages(client):
    desk = make_desk(client, ptype=True)
    _, pid = make_person(desk.org, ptype=desk.ptype)
    return {
        "/staff/register": client,
        f"/staff/patrons/{pid}/edit": client,
        "/staff/patrons": client,
        f"/staff/patrons/{pid}": client,
        "/staff/permissions": client,
        "/account": client,
        "/account/data": client,
    }


def test_the_parse_sees_a_field_that_lacks_one():
    html = '<label for="a">A <span class="req">*</span></label><input id="a"><input id="b" required>'
    problems, _ = problems_of(html)
    assert len(problems) == 2


def test_every_required_field_of_every_page_carries_both(client, app, pages):
    seen = 0
    for path in pages:
        res = client.get(path)
        assert res.status_code == 200, path
        problems, fields = problems_of(res.get_data(as_text=True))
        assert not problems, f"{path}:\n" + "\n".join(problems)
        seen += len(fields)
    # the pages nobody needs to be logged in for
    client.post("/api/logout")
    for path in ("/", "/reset/some-token"):
        res = client.get(path)
        assert res.status_code == 200, path
        problems, fields = problems_of(res.get_data(as_text=True))
        assert not problems, f"{path}:\n" + "\n".join(problems)
        assert any("required" in attrs for _, attrs in fields), path
        seen += len(fields)
    assert seen > 40  # the register page's fields were parsed


def test_the_page_scripts_make_no_required_field_without_aria_required():
    setting = re.compile(r"\brequired\s*[:=]|setAttribute\(\s*[\"']required")
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(SCRIPTS.rglob("*.js"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if setting.search(line) and "aria-required" not in line
    ]
    assert not offenders, "\n".join(offenders)
