"""Every user-facing string has a translation in every language (the CI check of
issue 14): the strings are extracted from the sources with Babel's own API and
``babel.cfg`` (Python, page templates, page scripts), then looked up in each
catalogue; a missing, empty or fuzzy entry fails, naming the string and the language."""

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from rero_ils_users import config
from rero_ils_users.ui import localized

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "rero_ils_users" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "t": None, "tn": (1, 2), "NN_": (1, 2), "NC_": ((1, "c"), 2)}


class Contextual(NamedTuple):
    context: str
    message: str


def extracted(root=ROOT):
    """``{msgid: "path:line"}`` of the strings of the sources under ``root`` (babel.cfg's map);
    a string with a context (``NC_``, pgettext's) is a ``Contextual``."""
    with (ROOT / "babel.cfg").open() as stream:
        method_map, options_map = parse_mapping_cfg(stream)
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(Contextual(context, message) if context else message, f"{filename}:{lineno}")
    return found


def catalogue(language, translations=TRANSLATIONS):
    with (translations / language / "LC_MESSAGES" / "messages.po").open("rb") as stream:
        return read_po(stream, locale=language)


def untranslated(strings, language, translations=TRANSLATIONS):
    """The strings without a usable translation in ``language``: absent, empty or fuzzy."""
    entries = catalogue(language, translations)
    missing = []
    for msgid, where in sorted(strings.items(), key=lambda item: str(item[0])):
        if isinstance(msgid, Contextual):
            entry = entries.get(msgid.message, context=msgid.context)
        else:
            entry = entries.get(msgid[0] if isinstance(msgid, tuple) else msgid)
        forms = entry.string if entry is not None and isinstance(entry.string, tuple) else (entry.string if entry else "",)
        if entry is None or entry.fuzzy or not all(forms):
            missing.append(f"{where}: {msgid!r}")
    return missing


@pytest.fixture(scope="module")
def strings():
    found = extracted()
    assert len(found) > 300, "the extraction found too few strings: is babel.cfg still right?"
    return found


@pytest.mark.parametrize("language", config.I18N_LANGUAGES)
def test_every_string_has_a_translation(strings, language):
    missing = untranslated(strings, language)
    assert not missing, (
        f"{len(missing)} string(s) without a {language} translation (run scripts/i18n extract, "
        f"then translate them in rero_ils_users/translations/{language}):\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("language", config.I18N_LANGUAGES)
def test_translations_keep_their_placeholders(language):
    """A translation may drop a ``%(name)s`` but never invent one (it would fail at runtime)."""
    problems = [f"{message.id!r}: {errors}" for message, errors in catalogue(language).check()]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", config.I18N_LANGUAGES)
def test_compiled_catalogues_are_current(language):
    """scripts/_lib.sh (ensure_venv) compiles them; a stale .mo serves yesterday's words."""
    po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run scripts/i18n compile (scripts/setup and scripts/test do)"
    assert mo.stat().st_mtime >= po.stat().st_mtime, f"{mo} is older than its .po: run scripts/i18n compile"


def test_a_new_string_without_translation_is_caught(tmp_path):
    """The check itself: a template string and a script string that no catalogue has."""
    pages = tmp_path / "rero_ils_users" / "ui"
    (pages / "templates" / "ui").mkdir(parents=True)
    (pages / "static").mkdir()
    (pages / "templates" / "ui" / "new.html").write_text('<p>{{ _("A brand new sentence") }}</p>\n<p>{{ _("Save") }}</p>\n')
    (pages / "static" / "new.js").write_text('export const x = t("Another new sentence");\n')
    found = extracted(tmp_path)
    assert set(found) == {"A brand new sentence", "Save", "Another new sentence"}
    missing = untranslated(found, "fr")
    assert len(missing) == 2 and all("new sentence" in line for line in missing)


def test_a_fuzzy_or_empty_entry_counts_as_missing(tmp_path):
    shutil.copytree(TRANSLATIONS / "de", tmp_path / "de")
    po = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    text = po.read_text()
    text = text.replace('msgid "Save"\nmsgstr "Speichern"', '#, fuzzy\nmsgid "Save"\nmsgstr "Speichern"')
    text = text.replace('msgid "Search"\nmsgstr "Suchen"', 'msgid "Search"\nmsgstr ""')
    po.write_text(text)
    missing = untranslated({"Save": "x:1", "Search": "x:2", "Patrons": "x:3"}, "de", tmp_path)
    assert missing == ["x:1: 'Save'", "x:2: 'Search'"]


def test_the_page_scripts_get_every_string_they_use(strings):
    """The catalogue handed to the scripts (ui/localized.py) holds each t()/tn() string of them."""
    from_scripts = {m for m, where in strings.items() if where.split(":")[0].endswith(".js")}
    assert from_scripts and from_scripts <= set(localized.js_messages())
