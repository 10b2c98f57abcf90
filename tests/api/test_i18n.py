"""The four languages (issue 14): API messages follow Accept-Language and keep their
shape, field paths and machine codes; pages follow the person's choice (kept in their
account), else Accept-Language, else English; the contract's constants stay as they are."""

import json
import re
from datetime import date, datetime, timedelta

import pytest
from invenio_db import db
from sqlalchemy import text

from rero_ils_users import dbupgrade
from rero_ils_users.accounts.models import User
from rero_ils_users.cli import init
from tests.helpers import PASSWORD, login, logout, make_account, make_desk, make_person, make_user, record_data

PAST = (date.today() - timedelta(days=3)).isoformat()


def lang_of(html):
    return re.search(r'<html lang="(\w+)">', html).group(1)


def catalog_of(html):
    return json.loads(re.search(r'<script type="application/json" id="i18n-catalog">(.*?)</script>', html, re.S).group(1))


def duplicate_barcode(client, desk, language):
    make_person(desk.org, ptype=desk.ptype, barcode="2050000111")
    other = make_user(steward=desk.org)
    data = record_data(other, desk.org, ["patron"], ptype=desk.ptype, barcode="2050000111")
    return client.post("/api/patrons/", json=data, headers={"Accept-Language": language})


def test_a_field_error_in_german_names_its_field_and_code(client):
    desk = make_desk(client, ptype=True)
    res = duplicate_barcode(client, desk, "de-CH,de;q=0.9,en;q=0.5")
    assert res.status_code == 409
    body = res.get_json()
    assert body["errors"] == [
        {
            "field": "patron.barcode",
            "code": "barcode_taken",
            "message": "Dieser Strichcode wird in der Organisation bereits verwendet.",
        }
    ]
    assert body["message"] == "Dieser Strichcode wird in der Organisation bereits verwendet."
    assert "Accept-Language" in res.headers.get("Vary", "")


@pytest.mark.parametrize(
    "language, required, date_message",
    [
        ("en", "Missing data for required field.", "A real date written YYYY-MM-DD."),
        ("fr", "Champ obligatoire.", "Une date réelle au format AAAA-MM-JJ."),
        ("de", "Pflichtfeld.", "Ein gültiges Datum im Format JJJJ-MM-TT."),
        ("it", "Campo obbligatorio.", "Una data valida nel formato AAAA-MM-GG."),
    ],
)
def test_validation_errors_keep_shape_paths_and_codes_in_every_language(client, language, required, date_message):
    make_desk(client)
    data = {"username": "zoe", "first_name": "Zoë", "birth_date": "1990-02-31", "password": "Secret-123"}
    res = client.post("/api/users/", json=data, headers={"Accept-Language": language})
    assert res.status_code == 400
    body = res.get_json()
    assert set(body) == {"status", "message", "errors"}
    entries = {e["field"]: e for e in body["errors"]}
    assert set(entries) == {"last_name", "birth_date"}
    assert entries["last_name"] == {"field": "last_name", "code": "required", "message": required}
    assert entries["birth_date"] == {"field": "birth_date", "code": "date_invalid", "message": date_message}


def test_interpolated_values_are_kept_in_the_translation(client):
    make_desk(client)
    res = client.put("/api/user/language", json={"language": "es"}, headers={"Accept-Language": "it"})
    assert res.status_code == 400
    assert res.get_json()["errors"] == [
        {"field": "language", "code": "not_in_choices", "message": "Deve essere uno tra: en, fr, de, it."}
    ]
    res = client.get("/api/patrons/?size=5000", headers={"Accept-Language": "fr"})
    assert res.get_json()["errors"][0] == {"field": "size", "code": "out_of_range", "message": "Doit être compris entre 1 et 1000."}


def test_accept_language_falls_back_to_english(client):
    cases = {"es": "Not found.", "es, *;q=0.1": "Not found.", "fr-CH, de;q=0.8": "Introuvable.", "it-CH": "Non trovato."}
    make_desk(client)
    for header, message in cases.items():
        assert client.get("/api/patrons/999999", headers={"Accept-Language": header}).get_json()["message"] == message
    assert client.get("/api/patrons/999999").get_json()["message"] == "Not found."


def test_the_api_follows_accept_language_before_the_accounts_choice(client):
    desk = make_desk(client)
    db.session.get(User, desk.librarian).language = "it"
    db.session.commit()
    assert client.get("/api/patrons/999999").get_json()["message"] == "Non trovato."  # no header: the choice
    assert client.get("/api/patrons/999999", headers={"Accept-Language": "de"}).get_json()["message"] == "Nicht gefunden."


def test_the_contract_constants_are_never_translated(client, app):
    desk = make_desk()
    user_id, _ = make_person(desk.org, user={"username": "pat"}, expiration_date=PAST)
    for language in ("fr", "de", "it"):
        res = client.post("/api/login", json={"login": "pat", "password": "Wrong-1234"}, headers={"Accept-Language": language})
        assert (res.status_code, res.get_json()["message"]) == (400, "INVALID_USER_OR_PASSWORD")
    db.session.get(User, user_id).expired_at = datetime.utcnow()
    db.session.commit()
    res = client.post("/api/login", json={"login": "pat", "password": PASSWORD}, headers={"Accept-Language": "de"})
    assert res.get_json()["message"] == "ACCOUNT_EXPIRED"
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        client.post("/api/login", json={"login": "pat", "password": "Wrong-1234"})
    res = client.post("/api/login", json={"login": "pat", "password": "Wrong-1234"}, headers={"Accept-Language": "it"})
    assert (res.status_code, res.get_json()["message"]) == (429, "TOO_MANY_ATTEMPTS")


def test_a_french_page_says_so(client):
    res = client.get("/", headers={"Accept-Language": "fr-CH,fr;q=0.9"})
    html = res.get_data(as_text=True)
    assert lang_of(html) == "fr"
    assert "<h1>Se connecter</h1>" in html and "Mot de passe oublié" in html
    visible = re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)  # keys are English
    assert "Log in" not in visible and "Password" not in visible
    catalog = catalog_of(html)
    assert catalog["lang"] == "fr"
    assert catalog["messages"]["Wrong login or password."] == "Identifiant ou mot de passe incorrect."
    assert catalog["messages"]["%(num)s patron"] == {"one": "%(num)s lecteur", "other": "%(num)s lecteurs"}
    assert catalog["roles"]["patron"] == "lecteur"
    assert "Accept-Language" in res.headers["Vary"]


def test_without_choice_or_header_the_page_is_english(client):
    html = client.get("/").get_data(as_text=True)
    assert lang_of(html) == "en" and "<h1>Log in</h1>" in html


def test_the_account_remembers_the_language(client):
    desk = make_desk(client)
    res = client.put("/api/user/language", json={"language": "fr"})
    assert res.status_code == 200 and res.get_json() == {"language": "fr", "message": "Langue enregistrée."}
    assert db.session.get(User, desk.librarian).language == "fr"
    assert client.get("/api/login").get_json()["user"]["language"] == "fr"
    # the choice beats the browser's language on pages, in a later session too
    client.post("/api/logout")
    login(client, desk.librarian)
    html = client.get("/account", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert lang_of(html) == "fr" and "<h1>Mon compte</h1>" in html
    assert '<option value="fr" lang="fr" selected>Français</option>' in html
    # the header's selector (a form): German, then back to the page it came from
    res = client.post("/language", data={"language": "de", "next": "/account"})
    assert (res.status_code, res.headers["Location"]) == (303, "/account")
    assert db.session.get(User, desk.librarian).language == "de"
    assert "<h1>Mein Konto</h1>" in client.get("/account").get_data(as_text=True)
    # null forgets the choice: the browser's language again
    assert client.put("/api/user/language", json={"language": None}).status_code == 200
    assert lang_of(client.get("/account", headers={"Accept-Language": "it"}).get_data(as_text=True)) == "it"


def test_an_anonymous_choice_lives_in_the_session(client):
    res = client.post("/language", data={"language": "it", "next": "//evil.example"})
    assert res.headers["Location"] == "/"  # never a redirect off the site
    assert lang_of(client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)) == "it"
    client.post("/language", data={"language": "klingon"})
    assert lang_of(client.get("/").get_data(as_text=True)) == "it"


def test_the_rules_the_pages_state_come_from_the_configuration(client, app):
    saved = {k: app.config[k] for k in ("PASSWORD_MIN_LENGTH", "PASSWORD_REQUIRE_SPECIAL", "LOGIN_LOCKOUT")}
    try:
        app.config.update(PASSWORD_MIN_LENGTH=12, PASSWORD_REQUIRE_SPECIAL=True, LOGIN_LOCKOUT=timedelta(minutes=40))
        html = client.get("/reset/sometoken", headers={"Accept-Language": "de"}).get_data(as_text=True)
        assert "Mindestens 12 Zeichen" in html and "weder Buchstabe noch Ziffer" in html
        assert catalog_of(html)["lockout_minutes"] == 40
        assert "8 Zeichen" not in html
    finally:
        app.config.update(saved)
    html = client.get("/reset/sometoken").get_data(as_text=True)
    assert "At least 8 characters, with a lowercase letter, an uppercase letter and a digit." in html


def test_the_data_page_writes_dates_and_labels_in_the_page_language(client):
    desk = make_desk()
    user_id, _ = make_person(desk.org, user={"birth_date": "1952-05-21"})
    login(client, user_id)
    client.put("/api/user/language", json={"language": "fr"})
    html = client.get("/account/data").get_data(as_text=True)
    assert "<dt>Date de naissance</dt><dd>21 mai 1952</dd>" in html
    assert "<dt>Rôles</dt><dd>lecteur</dd>" in html  # the role's label
    assert "<td>Données personnelles " in html and "<td>Créé</td>" in html  # the audit's words


def test_circulation_messages_follow_the_language_and_reasons_stay_codes(client):
    desk = make_desk(client, ptype=True)
    _, pid = make_person(desk.org, ptype=desk.ptype, blocked=True, blocked_note="Trois livres perdus")
    answer = client.get(f"/api/patrons/{pid}/circulation?action=checkout", headers={"Accept-Language": "fr"}).get_json()
    assert answer == {"allowed": False, "reasons": ["blocked"], "messages": ["Le lecteur est bloqué\u00a0: Trois livres perdus"]}


def test_init_adds_the_language_column_to_an_older_database(app):
    """``rero-ils-users init`` upgrades a database made before the column existed."""
    db.session.execute(text("ALTER TABLE accounts_user DROP COLUMN language"))
    db.session.commit()
    try:
        assert [(t.name, c.name) for t, c in dbupgrade.missing_columns()] == [("accounts_user", "language")]
        result = app.test_cli_runner().invoke(init)
        assert result.exit_code == 0, result.output
        assert "column(s) added: accounts_user.language" in result.output
        assert dbupgrade.missing_columns() == []
        assert "column" not in app.test_cli_runner().invoke(init).output  # idempotent
    finally:
        dbupgrade.add_missing_columns()


def test_raw_schema_wording_reaches_nobody(client):
    """jsonschema's "'' should be non-empty." is said for a librarian, in English too."""
    make_desk(client)
    data = {"username": "zoe", "first_name": "", "last_name": "Müller", "birth_date": "1990-02-03"}
    for language, message in (("en", "Must not be empty."), ("de", "Darf nicht leer sein.")):
        res = client.post("/api/users/", json=data, headers={"Accept-Language": language})
        assert res.get_json()["errors"] == [{"field": "first_name", "code": "empty", "message": message}]


def test_a_choice_made_before_logging_in_goes_into_the_account(client):
    desk = make_desk()
    username = db.session.get(User, desk.librarian).username
    client.post("/language", data={"language": "it"})
    assert client.post("/api/login", json={"login": username, "password": PASSWORD}).status_code == 200
    assert db.session.get(User, desk.librarian).language == "it"
    assert lang_of(client.get("/staff/patrons", headers={"Accept-Language": "de"}).get_data(as_text=True)) == "it"
    # the latest choice wins; logging in without choosing keeps the account's
    client.post("/api/logout")
    client.post("/language", data={"language": "fr"})
    client.post("/api/login", json={"login": username, "password": PASSWORD})
    db.session.expire_all()
    assert db.session.get(User, desk.librarian).language == "fr"
    client.post("/api/logout")
    client.post("/api/login", json={"login": username, "password": PASSWORD})
    db.session.expire_all()
    assert db.session.get(User, desk.librarian).language == "fr"


def test_a_refused_delete_counts_what_is_left_in_the_request_language(client):
    """The reasons of a 409 delete are counts: plural and words of the request's language."""
    desk = make_desk(client, ptype=True)
    for _ in range(2):
        make_person(desk.org, ptype=desk.ptype)
    cases = {
        "en": "The patron type is still used by 2 patron records.",
        "fr": "Le type de lecteur est encore utilisé par 2 dossiers lecteurs.",
        "de": "Die Benutzerkategorie ist noch in Gebrauch (2 Benutzerdatensätze).",
        "it": "La tipologia utente è ancora usata da 2 schede utente.",
    }
    for language, message in cases.items():
        res = client.delete(f"/api/patron_types/{desk.ptype}", headers={"Accept-Language": language})
        assert (res.status_code, res.get_json()["message"]) == (409, message)
    # one: the singular (the librarian's record names the library)
    res = client.delete(f"/api/libraries/{desk.lib}", headers={"Accept-Language": "fr"})
    assert res.get_json()["message"] == "La bibliothèque est encore référencée par 1 dossier lecteur."
    # the buttons say the same words
    reasons = client.get(f"/api/permissions/libraries/{desk.lib}", headers={"Accept-Language": "it"}).get_json()["delete"]["reasons"]
    assert reasons == ["La biblioteca è ancora referenziata da 1 scheda utente."]
    # several kinds: a list, joined as the language joins lists
    logout(client)
    login(client, make_account("admin"))
    cases = {
        "en": "The organisation still has 1 library, 1 patron type, and 3 patron records.",
        "de": "Die Organisation hat noch 1 Bibliothek, 1 Benutzerkategorie und 3 Benutzerdatensätze.",
    }
    for language, message in cases.items():
        res = client.delete(f"/api/organisations/{desk.org}", headers={"Accept-Language": language})
        assert (res.status_code, res.get_json()["message"]) == (409, message)


def test_the_expiry_date_of_a_circulation_message_is_written_in_the_language(client):
    desk = make_desk(client, ptype=True)
    _, pid = make_person(desk.org, ptype=desk.ptype, expiration_date="2024-03-10")
    cases = {
        "en": "The patron's account expired on March 10, 2024.",
        "fr": "Le compte du lecteur a expiré le 10 mars 2024.",
        "de": "Das Konto des Benutzers ist am 10. März 2024 abgelaufen.",
        "it": "L'account dell'utente è scaduto il 10 marzo 2024.",
    }
    for language, message in cases.items():
        answer = client.get(f"/api/patrons/{pid}/circulation?action=checkout", headers={"Accept-Language": language}).get_json()
        assert answer["reasons"] == ["expired"] and answer["messages"] == [message]



@pytest.mark.parametrize(
    "language, type_message, format_message",
    [
        ("en", "Must be of type string.", "Not a valid email."),
        ("fr", "Doit être de type texte.", "Valeur non valable (attendu : adresse e-mail)."),
        ("de", "Muss vom Typ Text sein.", "Ungültiger Wert (erwartet: E-Mail-Adresse)."),
        ("it", "Deve essere di tipo testo.", "Valore non valido (atteso: indirizzo e-mail)."),
    ],
)
def test_the_schemas_words_are_translated_inside_the_message(client, language, type_message, format_message):
    """"string" and "email" were left English inside a French sentence."""
    make_desk(client)
    data = {"username": "zoe", "first_name": 5, "last_name": "Zed", "birth_date": "1990-02-03", "email": "zoe@nowhere"}
    res = client.post("/api/users/", json=data, headers={"Accept-Language": language})
    assert res.status_code == 400, res.get_json()
    entries = {e["field"]: e for e in res.get_json()["errors"]}
    assert entries["first_name"] == {"field": "first_name", "code": "type_invalid", "message": type_message}
    assert entries["email"] == {"field": "email", "code": "format_invalid", "message": format_message}


@pytest.mark.parametrize(
    "address, language, message",
    [
        ("not an address", "en", "Not a valid email address: An email address must have an @-sign."),
        ("not an address", "fr", "Adresse e-mail non valable\u00a0: Une adresse e-mail doit contenir un @."),
        ("anna@", "de", "Keine gültige E-Mail-Adresse: Nach dem @ fehlt etwas."),
        ("an(na)@example.org", "it", "Indirizzo e-mail non valido: L'indirizzo e-mail contiene caratteri non ammessi prima della @: '(', ')'."),
    ],
)
def test_the_email_checks_explanation_is_translated(client, address, language, message):
    res = client.post("/api/password/forgot", json={"email": address}, headers={"Accept-Language": language})
    assert res.status_code == 400
    assert res.get_json()["errors"] == [{"field": "email", "code": "email_invalid", "message": message}]


def test_an_explanation_no_catalogue_knows_is_dropped_from_another_language(app):
    """email_validator may say something the table does not know: a French sentence then
    ends without it rather than in English; English keeps it."""
    from rero_ils_users.i18n.messages import translate

    unknown = "Not a valid email address: The domain name xn--a.org is not valid IDNA."
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert translate(unknown) == "Adresse e-mail non valable."
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert translate(unknown) == unknown
    with app.test_request_context(headers={"Accept-Language": "de"}):  # another detail keeps its value
        assert translate("Not valid JSON: Expecting value: line 1 column 1 (char 0)").endswith("Expecting value: line 1 column 1 (char 0)")
