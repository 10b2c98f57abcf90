"""The four languages in the browser (issue 14): the header's selector switches the
language of every page, remembered in the account; each page is walked and fails on
any text (or placeholder, label, title) that is an English catalogue string left
untranslated; dates in each locale's format; an API field error in German next to its
field. Screenshots of each page in each language go to var/screenshots/."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from invenio_db import db
from playwright.sync_api import expect

from rero_ils_users.accounts.models import User
from tests.helpers import PASSWORD
from tests.ui.world import make_world

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
# Alice's birth date (1990-02-03) as Chromium's Intl writes it in each language
BIRTH_DATE = {"en": "Feb 3, 1990", "fr": "3 févr. 1990", "de": "03.02.1990", "it": "3 feb 1990"}
PATRONS = {"en": "4 patrons", "fr": "4 lecteurs", "de": "4 Benutzer", "it": "4 utenti"}
HEADINGS = {
    "en": ("Log in", "Patrons", "Permissions matrix", "My account"),
    "fr": ("Se connecter", "Lecteurs", "Matrice des permissions", "Mon compte"),
    "de": ("Anmelden", "Benutzer", "Berechtigungsmatrix", "Mein Konto"),
    "it": ("Accedi", "Utenti", "Matrice dei permessi", "Il mio account"),
}

# every text of the page, with the attributes a person reads or hears; not what is marked
# as another language (the selector names each language in its own: <option lang="en">)
TEXTS = """() => {
  const out = [];
  const own = (el) => el.closest("[lang]").lang === document.documentElement.lang;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest("script, style") || !own(node.parentElement)) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll("[placeholder], [aria-label], [title]")) {
    for (const name of ["placeholder", "aria-label", "title"]) if (el.getAttribute(name)) out.push(el.getAttribute(name).trim());
  }
  out.push(document.title.replace(/ · rero-ils-users$/, ""));
  return out;
}"""


def english_left(language):
    """The English strings that ``language`` translates differently (the ones to look for)."""
    if language == "en":
        return {}
    path = ROOT / "rero_ils_users" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as stream:
        catalog = read_po(stream, locale=language)
    out = {}
    for message in catalog:
        if message.id and isinstance(message.id, str) and message.string and message.string != message.id:
            out[message.id] = message.string
    return out


def walk(page, language, name, untranslated):
    """Check one page: its language, no English left; a screenshot."""
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.wait_for_timeout(150)  # late renders of the page scripts
    left = english_left(language)
    # a sentence (3 words or more) is also caught inside a longer text: "<hint> <rule>"
    sentences = [part for part in (re.split(r"%\(\w+\)s", m)[0].strip() for m in left) if len(part.split()) >= 3]
    for text in page.evaluate(TEXTS):
        if text in left or any(sentence in text for sentence in sentences):
            untranslated.append(f"{language} {name}: {text!r}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{language}-{name}.png"), full_page=True)


def choose(page, language):
    """The header's selector (it submits on change); the page comes back in that language.
    Already in it (English, the browser's): through another one, so the choice is made."""
    if page.locator("html").get_attribute("lang") == language:
        with page.expect_navigation():
            page.select_option("#language-select", "it" if language != "it" else "fr")
    with page.expect_navigation():
        page.select_option("#language-select", language)
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_every_page_in_each_language(page, language):
    world = make_world()
    untranslated = []
    login_title, patrons_title, matrix_title, account_title = HEADINGS[language]
    page.goto("/")
    choose(page, language)  # anonymous: kept in the session
    expect(page.locator("h1")).to_have_text(login_title)
    walk(page, language, "login", untranslated)
    page.goto("/reset/not-a-real-token")
    walk(page, language, "reset", untranslated)

    page.goto("/")
    page.fill("#login", "librarian")
    page.fill("#password", "wrong-Password-1")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-form .form-alert")).not_to_be_empty()
    walk(page, language, "login-refused", untranslated)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/patrons$"))
    choose(page, language)  # logged in: kept in the account
    db.session.expire_all()
    assert db.session.get(User, world.librarian).language == language

    expect(page.locator("h1")).to_have_text(patrons_title)
    expect(page.locator("#result-count")).to_have_text(PATRONS[language])
    expect(page.locator("#results tbody tr", has_text="Aebischer")).to_contain_text(BIRTH_DATE[language])
    walk(page, language, "patrons", untranslated)
    for name, path in (
        ("patron", f"/staff/patrons/{world.alice_pid}"),
        ("patron-blocked", f"/staff/patrons/{world.bruno_pid}"),
        ("register", "/staff/register"),
        ("edit", f"/staff/patrons/{world.bruno_pid}/edit"),
        ("matrix", "/staff/permissions"),
        ("account", "/account"),
        ("logout", "/logout"),
    ):
        page.goto(path)
        walk(page, language, name, untranslated)
    page.goto("/staff/permissions")
    expect(page.locator("h1")).to_have_text(matrix_title)
    page.goto("/account")
    expect(page.locator("h1")).to_have_text(account_title)
    assert not untranslated, "English left on the pages:\n" + "\n".join(untranslated)


def test_an_api_field_error_in_german_next_to_its_field(page):
    make_world()
    db.session.get(User, User.query.filter_by(username="librarian").one().id).language = "de"
    db.session.commit()
    page.goto("/")
    page.fill("#login", "librarian")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/patrons$"))
    page.goto("/staff/register")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("E-Mail oder Benutzername").fill("neu@example.org")
    page.get_by_role("button", name="Suchen").click()
    expect(page.locator("#lookup-result")).to_contain_text("Kein Konto gefunden")
    page.get_by_role("button", name="Personendaten speichern").click()
    error = page.locator('[data-field="last_name"] .field-error')
    expect(error).to_have_text("Pflichtfeld.")
    expect(page.get_by_label("Nachname")).to_have_attribute("aria-invalid", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "de-register-field-error.png"), full_page=True)


@pytest.mark.parametrize(("language", "written"), [("fr", r"12\s345 lecteurs"), ("de", r"12\.345 "), ("it", r"12\.345 "), ("en", r"12,345 patrons")])
def test_counts_are_written_as_the_language_writes_numbers(chromium_browser, ui_server, language, written):
    """The page scripts' counts (``tn``) in the page's language: 12 345 in French, 12.345 in German."""
    context = chromium_browser.new_context(base_url=ui_server, locale=language)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        url = page.evaluate("document.querySelector('script[type=module]').src").replace("ui.js", "common.js")
        text = page.evaluate(f"import({url!r}).then(m => m.tn('%(num)s patron', '%(num)s patrons', 12345))")
        assert re.fullmatch(written + (".*" if language in ("de", "it") else ""), text), text
    finally:
        context.close()
