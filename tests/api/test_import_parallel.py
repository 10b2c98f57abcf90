"""`rero-ils-users import --jobs N`: batches written by several processes at once give
what the one-process import gives (issue 12): the same people, the file's order for
rows naming the same person, the summary and the rejects file in row order."""

import csv
import time

from rero_ils_users.accounts.models import User
from rero_ils_users.importing import batches, parallel
from rero_ils_users.patrons.api import Patron
from rero_ils_users.users.api import UserRecord
from tests.api.test_import_bulk import import_, person, problems, usernames, write_jsonl

ROWS = 40


def rows():
    """40 people in batches of 4, three of them named again later in the file (with a new
    city), one row whose barcode an earlier row holds, one without a last name."""
    out = [person(f"p-{n:02d}", city=f"Town {n}") for n in range(ROWS)]
    out[13] = person("p-01", city="Later town")  # batch 4 names batch 1's person
    out[29] = person("p-02", email="P-02@example.org", city="Latest town")  # any case: the same person
    out[30] = person(None, email="p-03@example.org", barcode="BC-p-03", city="By email")  # matched by email only
    out[33] = person("p-33", barcode="BC-p-05")  # the barcode of row 6
    out[37] = person("p-37", last_name="")
    return out


def city(username):
    account = User.query.filter_by(username=username).one()
    return UserRecord.get_by_user_id(account.id).get("city")


def test_several_writers_give_what_one_gives(runner, network, tmp_path, monkeypatch):
    used, write_batch = [], batches.Importer.write_batch

    def slow_first_batch(self, batch, hasher):  # in the workers (forked after the patch)
        if batch[0].number == 1:
            time.sleep(1.5)  # batch 4, naming batch 1's person again, must still come after it
        return write_batch(self, batch, hasher)

    monkeypatch.setattr(batches.Importer, "write_batch", slow_first_batch)
    monkeypatch.setattr(parallel.ParallelImporter, "_collect", lambda self, f=parallel.ParallelImporter._collect: (used.append(1), f(self)))
    rejects = tmp_path / "rejects.csv"
    result = import_(runner, write_jsonl(tmp_path / "people.jsonl", rows()), "--batch", "4", "--jobs", "2", "--rejects", rejects)
    assert used, "the batches went through the worker processes"
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1] == f"{ROWS - 2} of {ROWS} row(s) imported, 2 rejected"
    assert f"created {ROWS - 5}, updated 3, unchanged 0, rejected 2" in result.output
    assert problems(result.output) == {(34, "barcode"), (38, "last_name")}
    with rejects.open(encoding="utf-8") as handle:
        assert [line["row"] for line in csv.DictReader(handle)] == ["34", "38"]
    named = [f"p-{n:02d}" for n in range(ROWS) if n not in (13, 29, 30, 33, 37)]
    assert usernames() == sorted(named)
    assert (city("p-01"), city("p-02"), city("p-03")) == ("Later town", "Latest town", "By email"), "the file's order"
    assert Patron.model_cls.query.filter(Patron.model_cls.json.isnot(None)).count() == len(named)


def test_a_rerun_with_several_writers_changes_nothing(runner, network, tmp_path):
    path = write_jsonl(tmp_path / "people.jsonl", [person(f"r-{n}") for n in range(12)])
    assert import_(runner, path, "--batch", "3", "--jobs", "3").exit_code == 0
    again = import_(runner, path, "--batch", "3", "--jobs", "3")
    assert again.exit_code == 0, again.output
    assert "created 0, updated 0, unchanged 12, rejected 0" in again.output
    assert len(usernames()) == 12


def test_a_file_broken_midway_keeps_the_rows_before_it_with_several_writers(runner, network, tmp_path):
    good = ", ".join(f'{{"username": "s-{n}", "email": "s-{n}@example.org", "first_name": "A", "last_name": "B", '
                     f'"birth_date": "1990-01-01", "organisation": "lakes", "barcode": "SB-00{n}", "patron_type": "Adult", '
                     f'"expiration_date": "2030-01-01", "communication_language": "fre"}}' for n in range(7))
    path = tmp_path / "people.json"
    path.write_text(f'[{good}, {{"username": "s-broken", ', encoding="utf-8")
    result = import_(runner, path, "--batch", "2", "--jobs", "2")
    assert result.exit_code == 1
    assert "after row 7" in result.output, result.output
    assert usernames() == [f"s-{n}" for n in range(7)], "the last, half-filled batch too"


def test_import_jobs_must_be_a_number_of_processes(runner, network, tmp_path, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOBS", "many")
    result = import_(runner, write_jsonl(tmp_path / "people.jsonl", [person("j-1")]))
    assert result.exit_code != 0
    assert "IMPORT_JOBS must be a whole number" in result.output
    assert usernames() == []
