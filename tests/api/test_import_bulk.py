"""`rero-ils-users import` at scale (issue 12): streaming readers, batches with a
row-by-row fallback, updates on a re-run, the RERO ILS format, the rejects file,
--dry-run, and `export` back to the same formats."""

import csv
import json

from invenio_db import db

from rero_ils_users.accounts.models import User
from rero_ils_users.importing import cli as importing_cli
from rero_ils_users.importing.models import ImportedPid
from rero_ils_users.libraries.api import Library
from rero_ils_users.organisations.api import Organisation
from rero_ils_users.patron_types.api import PatronType
from rero_ils_users.patrons.api import Patron
from rero_ils_users.users.api import UserRecord
from tests.conftest import _empty_everything
from tests.helpers import make_library, make_org, make_patron_type


def person(username, **fields):
    row = {
        "username": username, "email": f"{username}@example.org", "first_name": "Zoë", "last_name": "Keller",
        "birth_date": "1980-04-01", "organisation": "lakes", "barcode": f"BC-{username}", "patron_type": "Adult",
        "expiration_date": "2030-12-31", "communication_language": "ger",
    }
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def usernames():
    return sorted(u.username for u in User.query.all())


def problems(output):
    return {(int(n), f) for n, f, _ in (line.split("\t", 2) for line in output.splitlines() if line[:1].isdigit() and "\t" in line)}


def import_(runner, *args):
    return runner.invoke(importing_cli.import_people, [str(a) for a in args])


# --- streaming and batches --------------------------------------------------------------------
def test_a_bad_row_sends_only_its_batch_row_by_row_and_leaves_no_half_person(runner, network, tmp_path):
    rows = [
        person("b-1"), person("b-2", barcode="BC-b-1"),  # batch 1: the database refuses row 2's barcode
        person("b-3"), person("b-4"), person("b-5"), person("b-6"),  # batches 1-2
        person("b-7", email="b-1@example.org", first_name="Other"),  # matched by email, someone else
    ]
    result = import_(runner, write_jsonl(tmp_path / "people.jsonl", rows), "--batch", "3")
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1] == "5 of 7 row(s) imported, 2 rejected"
    assert "created 5, updated 0, unchanged 0, rejected 2" in result.output
    assert problems(result.output) == {(2, "barcode"), (7, "email")}
    assert usernames() == ["b-1", "b-3", "b-4", "b-5", "b-6"], "row 2's user was rolled back with its record"
    assert UserRecord.model_cls.query.count() == 5 and Patron.model_cls.query.count() == 5
    assert all(u.password is None for u in User.query.all()), "no password given: no hash made"


def test_json_is_read_incrementally(runner, network, tmp_path):
    """A list read whole (json.loads) would fail before its first row; a stream imports
    the rows before the broken part, then stops saying where."""
    good = ",".join(json.dumps(person(f"s-{i}")) for i in range(3))
    path = tmp_path / "people.json"
    path.write_text(f"[{good}, {{\"username\": \"s-broken\", ", encoding="utf-8")
    result = import_(runner, path, "--batch", "1")
    assert result.exit_code == 1
    assert "Cannot read" in result.output and "after row 3" in result.output
    assert usernames() == ["s-0", "s-1", "s-2"]


def test_a_jsonl_line_that_is_not_json_is_one_rejected_row(runner, network, tmp_path):
    path = tmp_path / "people.jsonl"
    path.write_text(json.dumps(person("j-1")) + "\n{not json\n\n" + json.dumps(person("j-2")) + "\n", encoding="utf-8")
    result = import_(runner, path)
    assert result.output.splitlines()[-1] == "2 of 3 row(s) imported, 1 rejected"
    assert problems(result.output) == {(2, "-")}


def test_a_second_run_updates_instead_of_duplicating(runner, network, tmp_path):
    rows = [person("r-1"), person("r-2", city="Bern"), person("r-3")]
    path = write_jsonl(tmp_path / "people.jsonl", rows)
    assert import_(runner, path).exit_code == 0
    again = import_(runner, path)
    assert again.exit_code == 0, again.output
    assert "created 0, updated 0, unchanged 3, rejected 0" in again.output
    assert again.output.splitlines()[-1] == "3 of 3 row(s) imported, 0 rejected"

    rows[1]["city"] = "Sion"  # personal data
    rows[2]["expiration_date"] = "2031-06-30"  # the patron record
    rows[0]["username"] = "r-1-renamed"  # found by its email
    result = import_(runner, write_jsonl(tmp_path / "people2.jsonl", rows))
    assert "created 0, updated 3, unchanged 0, rejected 0" in result.output, result.output
    assert usernames() == ["r-1-renamed", "r-2", "r-3"]
    assert Patron.model_cls.query.count() == 3
    r2 = User.query.filter_by(username="r-2").one()
    assert UserRecord.get_by_user_id(r2.id)["city"] == "Sion"
    r3 = Patron.of_user(User.query.filter_by(username="r-3").one().id)[0]
    assert r3["patron"]["expiration_date"] == "2031-06-30"


def test_dry_run_checks_against_the_database_and_writes_nothing(runner, network, tmp_path):
    assert import_(runner, write_jsonl(tmp_path / "first.jsonl", [person("d-1")])).exit_code == 0
    rows = [person("d-2"), person("d-3", barcode="BC-d-1"), person("d-4", birth_date="1990-02-30"), person("d-5")]
    result = import_(runner, write_jsonl(tmp_path / "people.jsonl", rows), "--dry-run", "--batch", "2")
    assert result.exit_code == 1
    assert "would be created 2, updated 0, unchanged 0, rejected 2" in result.output
    assert problems(result.output) == {(2, "barcode"), (3, "birth_date")}
    assert usernames() == ["d-1"] and Patron.model_cls.query.count() == 1


# --- the rejects file ------------------------------------------------------------------------
def test_the_rejects_file_is_corrected_and_imported_as_it_is(runner, network, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "username,email,first_name,last_name,birth_date,organisation,barcode,patron_type,expiration_date,communication_language,local_codes\n"
        "c-1,c1@example.org,Ada,Rossi,1985-06-01,lakes,CSV-0001,Adult,2030-01-31,ita,a;b\n"
        "c-2,c2@example.org,Bea,Rossi,1985-02-30,lakes,CSV-0002,Adult,2030-01-31,ita,\n"
        "c-3,c3@example.org,Cid,Rossi,1985-06-01,lakes,CSV-0001,Nobody,2030-01-31,ita,c\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    result = import_(runner, path, "--rejects", rejects)
    assert result.output.splitlines()[-1] == "1 of 3 row(s) imported, 2 rejected"
    with rejects.open(encoding="utf-8", newline="") as handle:
        lines = sorted(csv.DictReader(handle), key=lambda r: int(r["row"]))  # in the order rows were rejected
    assert [(r["row"], r["username"]) for r in lines] == [("2", "c-2"), ("3", "c-3")]
    assert lines[0]["field"] == "birth_date" and "YYYY-MM-DD" in lines[0]["message"]
    assert lines[1]["field"] == "patron_type"
    assert lines[1]["local_codes"] == "c"

    lines[0]["birth_date"] = "1985-02-28"
    lines[1].update(patron_type="Adult", barcode="CSV-0003")
    with rejects.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)
    result = import_(runner, rejects)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 of 2 row(s) imported, 0 rejected"
    assert usernames() == ["c-1", "c-2", "c-3"]
    assert Patron.of_user(User.query.filter_by(username="c-3").one().id)[0]["local_codes"] == ["c"]


# --- RERO ILS's own files ---------------------------------------------------------------------
def rero_ref(resource, pid):
    return {"$ref": f"https://bib.rero.ch/api/{resource}/{pid}"}


RERO_ORGS = [
    {"pid": "1", "name": "Réseau d'Aoste", "code": "aoste", "default_currency": "EUR", "current_budget_pid": "1"},
    {"pid": "2", "name": "Ministry of Magic", "code": "highlands", "collection_enabled_on_public_view": False},
]
RERO_LIBS = [
    {"pid": "1", "code": "AOSTE-CANT1", "name": "Cantonale", "email": "cant1@example.org", "address": "Via 1",
     "organisation": rero_ref("organisations", "1"), "opening_hours": [{"day": "monday", "is_open": False, "times": []}]},
    {"pid": "5", "code": "HOG", "name": "Hogwarts", "email": "hog@example.org", "organisation": rero_ref("organisations", "2")},
]
RERO_TYPES = [
    {"pid": "1", "name": "Standard", "description": "Standard patron.", "organisation": rero_ref("organisations", "1"),
     "limits": {"checkout_limits": {"global_limit": 25}}, "subscription_amount": 10},
    {"pid": "4", "name": "Standard", "organisation": rero_ref("organisations", "2")},
]


def rero_people():
    return [
        {"pid": "1", "username": "astrid", "email": "astrid@example.org", "first_name": "Astrid", "last_name": "Müller",
         "birth_date": "1989-05-14", "city": "Aosta", "street": "Viale 44", "postal_code": "11100", "home_phone": "+39324993597",
         "roles": ["pro_full_permissions"], "libraries": [rero_ref("libraries", "1")],
         "notes": [{"type": "staff_note", "content": "The first system librarian."}], "password": "Pw123456"},
        {"pid": "4", "username": "simonetta", "email": "simonetta@example.org", "first_name": "Simonetta",
         "last_name": "Casalini", "birth_date": "1969-06-07", "gender": "female", "city": "Aosta", "country": "it",
         "keep_history": True, "roles": ["patron"], "local_codes": ["vip"],
         "patron": {"expiration_date": "2100-10-07", "blocked": True, "blocked_note": "Lost card", "barcode": ["2050124311"],
                    "type": rero_ref("patron_types", "1"), "communication_channel": "email", "communication_language": "ita",
                    "additional_communication_email": "family@example.org"},
         "notes": [{"type": "public_note", "content": "On holiday."}, {"type": "staff_note", "content": "Kind."}]},
        {"pid": "54", "username": "simonetta", "email": "simonetta@example.org", "first_name": "Simonetta",
         "last_name": "Casalini", "birth_date": "1969-06-07", "roles": ["patron"],
         "second_address": {"street": "Castel romano", "postal_code": "00128", "city": "Roma"},
         "patron": {"expiration_date": "2100-10-07", "barcode": ["2100154311"], "type": rero_ref("patron_types", "4"),
                    "communication_channel": "mail", "communication_language": "ita"}},
        {"pid": "60", "username": "ghost", "first_name": "G", "last_name": "Host", "birth_date": "1970-01-01",
         "roles": ["pro_read_only"], "libraries": [rero_ref("libraries", "99")]},
    ]


def rero_files(tmp_path):
    files = {}
    for name, rows in (("organisations", RERO_ORGS), ("libraries", RERO_LIBS), ("patron_types", RERO_TYPES),
                       ("users", rero_people())):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return files


def rero_import(runner, files, people=None, *extra):
    return import_(runner, "--format", "rero-ils", "--organisations", files["organisations"], "--libraries",
                   files["libraries"], "--patron-types", files["patron_types"], *extra, people or files["users"])


def test_rero_ils_files_import_as_they_stand(runner, tmp_path):
    existing = make_org(code="aoste", name="Aoste, made here first")  # matched by code, not duplicated
    files = rero_files(tmp_path)
    result = rero_import(runner, files, None, "--rejects", tmp_path / "rejects.csv")
    assert "reference data: 5 record(s) created" in result.output, result.output
    assert result.output.splitlines()[-1] == "3 of 4 row(s) imported, 1 rejected"
    assert problems(result.output) == {(4, "libraries")}
    orgs = {m.code: m.pid for m in Organisation.model_cls.query}
    assert orgs["aoste"] == existing and set(orgs) == {"aoste", "highlands"}
    assert Library.model_cls.query.count() == 2 and PatronType.model_cls.query.count() == 2

    astrid = User.query.filter_by(username="astrid").one()
    [record] = Patron.of_user(astrid.id)
    assert record.organisation_pid == existing and record["roles"] == ["pro_full_permissions"]
    assert record["notes"] == [{"type": "staff_note", "content": "The first system librarian."}]
    simonetta = User.query.filter_by(username="simonetta").one()
    records = {r.organisation_pid: r for r in Patron.of_user(simonetta.id)}
    assert set(records) == {existing, orgs["highlands"]}, "her second row joins her account in the second organisation"
    first = records[existing]
    assert first["patron"]["blocked"] is True and first["patron"]["additional_communication_email"] == "family@example.org"
    assert first["local_codes"] == ["vip"] and {n["type"] for n in first["notes"]} == {"public_note", "staff_note"}
    assert records[orgs["highlands"]]["second_address"]["city"] == "Roma"
    user = UserRecord.get_by_user_id(simonetta.id)
    assert user["keep_history"] is True and user["gender"] == "female"

    again = rero_import(runner, files)
    assert "reference data: 0 record(s) created" in again.output
    assert "created 0, updated 0, unchanged 3, rejected 1" in again.output, again.output

    # a later file, without the reference files, naming the same RERO ILS pids
    later = tmp_path / "later.jsonl"
    later.write_text(json.dumps({
        "pid": "77", "username": "newcomer", "first_name": "New", "last_name": "Comer", "birth_date": "2001-01-01",
        "roles": ["patron"], "patron": {"expiration_date": "2030-01-01", "barcode": ["HOG-0001"],
                                        "type": rero_ref("patron_types", "4"), "communication_channel": "mail",
                                        "communication_language": "eng"}}) + "\n", encoding="utf-8")
    result = import_(runner, "--format", "rero-ils", later)
    assert result.exit_code == 0, result.output
    [newcomer] = Patron.of_user(User.query.filter_by(username="newcomer").one().id)
    assert newcomer.organisation_pid == orgs["highlands"] and PatronType.model_cls.query.count() == 2
    assert {m.resource for m in ImportedPid.query} == {"organisations", "libraries", "patron_types"}

    # the rejected RERO ILS row, kept whole, corrected in the rejects file and imported from it
    with (tmp_path / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        [line] = list(csv.DictReader(handle))
    original = json.loads(line["original"])
    assert original["username"] == "ghost"
    original["libraries"] = [rero_ref("libraries", "5")]
    line["original"] = json.dumps(original)
    with (tmp_path / "rejects.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(line))
        writer.writeheader()
        writer.writerow(line)
    result = import_(runner, "--format", "rero-ils", tmp_path / "rejects.csv")
    assert result.exit_code == 0, result.output
    assert Patron.of_user(User.query.filter_by(username="ghost").one().id)[0].organisation_pid == orgs["highlands"]


def test_rero_ils_reference_files_are_checked_first(runner, tmp_path):
    files = rero_files(tmp_path)
    files["libraries"].write_text(json.dumps([{**RERO_LIBS[0], "email": None}]), encoding="utf-8")
    result = rero_import(runner, files)
    assert result.exit_code == 1 and "libraries row 1 (pid 1)" in result.output
    assert Organisation.model_cls.query.count() == 0, "nothing of the reference data is kept"


# --- export -----------------------------------------------------------------------------------
def test_export_then_import_into_an_empty_database_gives_the_same_people(runner, network, tmp_path):
    rows = [
        person("e-1", local_codes=["x", "y"], staff_note="Staff only.", public_note="Hello", keep_history="true",
               second_address={"city": "Lugano", "country": "ch"}, barcode=["E-0001", "E-0002"], blocked=True,
               blocked_note="Lost card", city="Bern", home_phone="+41261234567"),
        person("e-2", email=None, gender="female"),
        person("e-3", roles=["pro_read_only", "patron"], libraries=["LAKES-MAIN"],
               additional_communication_email="parent@example.org"),
    ]
    assert import_(runner, write_jsonl(tmp_path / "people.jsonl", rows)).exit_code == 0
    exported = {}
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"export.{fmt}"
        result = runner.invoke(importing_cli.export_people, ["--organisation", "lakes", str(out)])
        assert result.exit_code == 0, result.output
        exported[fmt] = out
    before = [json.loads(line) for line in exported["jsonl"].read_text(encoding="utf-8").splitlines()]
    assert [r["username"] for r in before] == ["e-1", "e-2", "e-3"]
    assert before[0]["barcode"] == ["E-0001", "E-0002"] and before[0]["staff_note"] == "Staff only."

    for fmt in ("jsonl", "csv"):
        _empty_everything()
        db.session.remove()
        org = make_org(code="lakes")
        make_library(org, code="LAKES-MAIN")
        make_patron_type(org, name="Adult")
        result = import_(runner, exported[fmt])
        assert result.exit_code == 0, (fmt, result.output)
        assert "created 3" in result.output
        again = tmp_path / f"again-{fmt}.jsonl"
        assert runner.invoke(importing_cli.export_people, ["--organisation", "lakes", str(again)]).exit_code == 0
        after = [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()]
        assert after == before, fmt


def test_export_needs_a_known_organisation(runner, network):
    result = runner.invoke(importing_cli.export_people, ["--organisation", "nowhere"])
    assert result.exit_code == 2 and "nowhere" in result.output
