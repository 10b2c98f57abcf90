"""The expire-patrons job against PostgreSQL, Redis and a real SMTP server:
reminders, expiry notices (once per date, in the patron's language, on their
channel), the account mark of the login rule, concurrent runs."""

import threading
from datetime import date, timedelta

import pytest
from invenio_db import db

from rero_ils_users.accounts.models import User
from rero_ils_users.jobs import expire
from rero_ils_users.jobs.models import NoticeLog
from rero_ils_users.patrons.api import Patron
from rero_ils_users.patrons.service import patrons
from rero_ils_users.permissions.needs import system_identity
from tests.helpers import make_library, make_org, make_person, post_login, ref

EXPIRES = date(2027, 3, 10)
DAY = timedelta(days=1)


@pytest.fixture()
def org():
    org = make_org(name="Réseau des bibliothèques")
    return {"pid": org, "lib": make_library(org, email="desk@library.example.org")}


def patron(org, expires=EXPIRES, **fields):
    fields.setdefault("expiration_date", expires.isoformat())
    return make_person(org["pid"], **fields)


def expired_at(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).expired_at


def move_date(pid, new_date):
    data = {k: v for k, v in Patron.get_by_pid(pid).items() if k not in ("pid", "$schema")}
    data["organisation"] = ref("organisations", data["organisation"]["pid"])
    data["patron"] = {**data["patron"], "expiration_date": new_date.isoformat()}
    data["patron"]["type"] = ref("patron_types", data["patron"]["type"]["pid"])
    if "libraries" in data:
        data["libraries"] = [ref("libraries", lib["pid"]) for lib in data["libraries"]]
    patrons.update(system_identity(), pid, data)


def test_day_before_the_day_and_the_day_after(mails, org):
    user_id, pid = patron(org, user={"first_name": "Zoë", "last_name": "Muller"})
    counts = expire.run(EXPIRES - DAY)
    assert counts["expiry_sent"] == 0 and counts["reminder_sent"] == 1
    assert mails.subjects() == ["Your library account will expire soon"]
    assert expired_at(user_id) is None

    counts = expire.run(EXPIRES)
    assert counts["expiry_sent"] == 1 and counts["expired_records"] == 1 and counts["accounts_expired"] == 1
    notice = mails.messages[-1]
    assert notice["to"] == [db.session.get(User, user_id).email]
    assert notice["message"]["Subject"] == "Your library account has expired"
    body = notice["message"].get_content()
    assert "Dear Zoë Muller," in body and "expired on 10 March 2027" in body
    assert expired_at(user_id) is not None

    counts = expire.run(EXPIRES + DAY)
    assert counts["expiry_sent"] == 0 and counts["expiry_already_sent"] == 1 and counts["accounts_expired"] == 0
    assert len(mails.messages) == 2
    rows = db.session.query(NoticeLog).filter_by(patron_pid=pid).order_by(NoticeLog.kind).all()
    assert [(r.kind, r.expiration_date) for r in rows] == [("expiry", EXPIRES), ("reminder", EXPIRES)]


def test_reminder_window_opens_the_configured_number_of_days_before(mails, org, app):
    assert app.config["PATRON_EXPIRY_REMINDER_DAYS"] == 30
    patron(org)
    assert expire.run(EXPIRES - timedelta(days=31))["reminder_sent"] == 0
    assert expire.run(EXPIRES - timedelta(days=30))["reminder_sent"] == 1
    assert expire.run(EXPIRES - timedelta(days=29))["reminder_sent"] == 0
    assert len(mails.messages) == 1


@pytest.mark.parametrize(
    "language, subject, phrases",
    [
        ("eng", "Your library account has expired", ["Dear Anna", "expired on 10 March 2027", "Kind regards"]),
        ("fre", "Votre compte de lecteur a expiré", ["Bonjour Anna", "a expiré le 10 mars 2027", "Meilleures salutations"]),
        ("ger", "Ihr Bibliothekskonto ist abgelaufen", ["Guten Tag Anna", "ist am 10. März 2027 abgelaufen", "Freundliche Grüsse"]),
        ("ita", "La sua iscrizione alla biblioteca è scaduta", ["Gentile Anna", "è scaduta il 10 marzo 2027", "Cordiali saluti"]),
    ],
)
def test_expiry_notice_in_the_communication_language(mails, org, language, subject, phrases):
    patron(org, communication_language=language)
    assert expire.run(EXPIRES)["expiry_sent"] == 1
    message = mails.messages[-1]["message"]
    assert message["Subject"] == subject
    assert message["Content-Language"] == {"eng": "en", "fre": "fr", "ger": "de", "ita": "it"}[language]
    body = message.get_content()
    for phrase in phrases + ["Réseau des bibliothèques"]:
        assert phrase in body


@pytest.mark.parametrize(
    "language, subject, phrase",
    [
        ("eng", "Your library account will expire soon", "will expire on 10 March 2027"),
        ("fre", "Votre compte de lecteur expire bientôt", "expirera le 10 mars 2027"),
        ("ger", "Ihr Bibliothekskonto läuft bald ab", "läuft am 10. März 2027 ab"),
        ("ita", "La sua iscrizione alla biblioteca scadrà a breve", "scadrà il 10 marzo 2027"),
    ],
)
def test_reminder_in_the_communication_language(mails, org, language, subject, phrase):
    patron(org, communication_language=language)
    assert expire.run(EXPIRES - timedelta(days=10))["reminder_sent"] == 1
    message = mails.messages[-1]["message"]
    assert message["Subject"] == subject and phrase in message.get_content()


def test_email_channel_user_and_additional_address_without_duplicates(mails, org):
    patron(org, user={"email": "both@example.org"}, additional_communication_email="parent@example.org")
    patron(org, user={"email": "same@example.org"}, additional_communication_email="same@example.org")
    patron(org, user={"email": None}, additional_communication_email="only.parent@example.org")
    assert expire.run(EXPIRES)["expiry_sent"] == 3
    assert sorted(m["to"] for m in mails.messages) == [
        ["both@example.org", "parent@example.org"],
        ["only.parent@example.org"],
        ["same@example.org"],
    ]


def test_mail_channel_goes_to_the_library_for_printing(mails, org):
    second = make_library(org["pid"], email="branch@library.example.org")
    patron(
        org,
        user={"email": None, "street": "Rue de Lausanne 1", "postal_code": "1700", "city": "Fribourg", "country": "ch"},
        communication_channel="mail",
        communication_language="fre",
        libraries=[second],
    )
    patron(org, user={"email": None}, communication_channel="mail")  # no affiliation library
    assert expire.run(EXPIRES)["expiry_sent"] == 2
    by_recipient = {tuple(m["to"]): m["message"] for m in mails.messages}
    assert set(by_recipient) == {("branch@library.example.org",), ("desk@library.example.org",)}
    printed = by_recipient[("branch@library.example.org",)].get_content().replace("\r\n", "\n")
    assert "Rue de Lausanne 1\n1700 Fribourg\nCH" in printed
    assert "Library " in printed and "a expiré le 10 mars 2027" in printed


def test_patron_expired_long_ago_is_notified_once(mails, org):
    patron(org, expires=date(2019, 1, 31))
    assert expire.run(EXPIRES)["expiry_sent"] == 1
    assert "31 January 2019" in mails.messages[0]["message"].get_content()
    assert expire.run(EXPIRES)["expiry_sent"] == 0
    assert len(mails.messages) == 1


def test_a_new_expiration_date_gets_its_own_notices_and_lifts_the_mark(mails, org):
    user_id, pid = patron(org)
    assert expire.run(EXPIRES)["expiry_sent"] == 1
    assert expired_at(user_id) is not None
    later = EXPIRES + timedelta(days=365)
    move_date(pid, later)  # a librarian renews the registration; nothing to clear by hand
    counts = expire.run(EXPIRES + DAY)
    assert counts["accounts_reactivated"] == 1 and counts["expiry_sent"] == 0
    assert expired_at(user_id) is None
    assert expire.run(later - timedelta(days=5))["reminder_sent"] == 1
    assert expire.run(later)["expiry_sent"] == 1
    assert expired_at(user_id) is not None
    assert len(mails.messages) == 3  # first expiry, reminder of the new date, second expiry


def test_account_marked_only_when_every_patron_record_expired_and_no_staff_role(mails, org):
    alone, _ = patron(org)
    elsewhere, _ = patron(org)
    other = make_org()
    make_person(other, user_id=elsewhere, expiration_date=(EXPIRES + timedelta(days=90)).isoformat())
    librarian, _ = patron(org)
    make_person(other, ["pro_read_only"], libraries=[make_library(other)], user_id=librarian)
    counts = expire.run(EXPIRES)
    assert counts["expired_records"] == 3 and counts["accounts_expired"] == 1
    assert expired_at(alone) is not None
    assert expired_at(elsewhere) is None and expired_at(librarian) is None


def test_login_refused_once_the_job_has_seen_it(client, mails, org):
    today = date.today()
    user_id, pid = patron(org, expires=today - DAY)
    username = db.session.get(User, user_id).username
    assert post_login(client, username).status_code == 200  # the job has not run
    client.post("/api/logout")
    expire.run(today)
    res = post_login(client, username)
    assert res.status_code == 403 and res.get_json()["message"] == "ACCOUNT_EXPIRED"
    move_date(pid, today + timedelta(days=30))  # effective at once
    assert post_login(client, username).status_code == 200


def test_a_second_run_sends_nothing(mails, org):
    for _ in range(3):
        patron(org)
    first = expire.run(EXPIRES)
    second = expire.run(EXPIRES)
    assert first["expiry_sent"] == 3 and second["expiry_sent"] == 0 and second["expiry_already_sent"] == 3
    assert len(mails.messages) == 3


def _concurrently(app, job, as_of, runs=2):
    results, barrier = [], threading.Barrier(runs)

    def target():
        with app.app_context():
            barrier.wait()
            results.append(job(as_of))

    threads = [threading.Thread(target=target) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_concurrent_runs_send_one_notice_each(app, mails, org):
    for _ in range(8):
        patron(org)
    results = _concurrently(app, expire.run, EXPIRES)
    assert len(results) == 2
    assert sum(r.get("expiry_sent", 0) for r in results) == 8
    assert len(mails.messages) == 8


def test_without_the_lock_the_unique_notice_log_still_sends_once(app, mails, org):
    for _ in range(8):
        patron(org)
    results = _concurrently(app, expire.expire, EXPIRES, runs=3)  # no Redis lock: the table decides
    assert sum(r["expiry_sent"] for r in results) == 8
    assert len(mails.messages) == 8
    assert sorted(len(m["to"]) for m in mails.messages) == [1] * 8
    assert db.session.query(NoticeLog).count() == 8


def test_the_job_runs_in_a_real_celery_worker(app, mails, org, worker):
    from rero_ils_users.jobs.tasks import expire_patrons

    user_id, _ = patron(org)
    counts = expire_patrons.delay(EXPIRES.isoformat()).get(timeout=60)
    assert counts["expiry_sent"] == 1 and counts["accounts_expired"] == 1
    assert len(mails.messages) == 1 and expired_at(user_id) is not None
    again = [expire_patrons.delay(EXPIRES.isoformat()), expire_patrons.delay(EXPIRES.isoformat())]
    assert [r.get(timeout=60).get("expiry_sent", 0) for r in again] == [0, 0]
    assert len(mails.messages) == 1


def test_cli_runs_the_job_in_process(app, mails, org):
    from rero_ils_users.cli import cli

    patron(org)
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["jobs", "run", "expire-patrons", "--as-of", EXPIRES.isoformat()])
    assert result.exit_code == 0, result.output
    assert '"expiry_sent": 1' in result.output
    assert len(mails.messages) == 1
    bad = runner.invoke(cli, ["jobs", "run", "expire-patrons", "--as-of", "2027-02-30"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
