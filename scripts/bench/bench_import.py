"""Import rate of `rero-ils-users import`: N generated people (user + patron record).

    INVENIO_SQLALCHEMY_DATABASE_URI=postgresql+psycopg2://rero:rero@127.0.0.1:5432/<scratch db> \\
    INVENIO_SEARCH_INDEX_PREFIX=bench- .venv/bin/python scripts/bench/bench_import.py [--rows 1000]

Uses the database and index prefix of the environment (tables and indexes are
created when missing) and a new organisation per run, so runs never collide.
Rows carry no password, as in a migration: each gets a generated one, hashed
with the configured algorithm (argon2), which is most of the time per row; the
script measures that share separately. Indexing happens at the end, in bulk,
and is included in the rate.
"""

import argparse
import json
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

from faker import Faker
from invenio_db import db

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rero_ils_users import importer  # noqa: E402
from rero_ils_users.factory import create_app  # noqa: E402
from rero_ils_users.libraries.service import libraries  # noqa: E402
from rero_ils_users.organisations.api import Organisation  # noqa: E402
from rero_ils_users.organisations.service import organisations  # noqa: E402
from rero_ils_users.patron_types.service import patron_types  # noqa: E402
from rero_ils_users.permissions import matrix  # noqa: E402
from rero_ils_users.permissions.needs import system_identity  # noqa: E402
from rero_ils_users.records.search import current_search  # noqa: E402
from rero_ils_users.users import service as users_service  # noqa: E402

warnings.filterwarnings("ignore", "nested transaction already deassociated")


def setup(tag):
    db.create_all()
    current_search.create()
    matrix.load_defaults()
    db.session.commit()
    identity = system_identity()
    org = organisations.create(identity, {"name": f"Bench {tag}", "code": tag})
    ref = {"$ref": f"https://bench.local/api/organisations/{org.pid}"}
    libraries.create(identity, {"name": "Main", "code": "MAIN", "email": "main@example.org", "organisation": ref})
    patron_types.create(identity, {"name": "Adult", "organisation": ref})


def rows(tag, count):
    fake = Faker(["de_CH", "fr_CH", "it_IT", "en_GB"])
    fake.seed_instance(7)
    for n in range(count):
        first, last = fake.first_name(), fake.last_name()
        row = {
            "username": f"{tag}-{n}", "first_name": first, "last_name": last,
            "birth_date": fake.date_between(date(1940, 1, 1), date(2015, 12, 31)).isoformat(),
            "city": fake.city(), "country": "ch", "organisation": tag, "patron_type": "Adult",
            "barcode": f"{tag}-{n:07d}", "expiration_date": "2030-12-31",
            "communication_language": fake.random_element(["eng", "fre", "ger", "ita"]),
        }
        if n % 5:
            row["email"] = f"{tag}.{n}@example.org"
        yield row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    tag = f"bench{int(time.time())}"
    app = create_app()
    with app.app_context():
        setup(tag)
        path = Path(tempfile.mkdtemp()) / "people.json"
        path.write_text(json.dumps(list(rows(tag, args.rows))), encoding="utf-8")

        hashing = {"seconds": 0.0, "calls": 0}
        original = users_service.hash_password

        def timed_hash(password):
            start = time.perf_counter()
            try:
                return original(password)
            finally:
                hashing["seconds"] += time.perf_counter() - start
                hashing["calls"] += 1

        users_service.hash_password = timed_hash
        start = time.perf_counter()
        report = importer.run(importer.read_rows(path))
        elapsed = time.perf_counter() - start
        users_service.hash_password = original

        current_search.refresh("patrons")
        indexed = current_search.client.count(
            index=current_search.alias("patrons"), body={"query": {"term": {"organisation.pid": report_org(tag)}}}
        )["count"]
    rest = elapsed - hashing["seconds"]
    print(f"rows: {report.total}, imported: {len(report.created)}, rejected: {len(report.rejected_rows)}, indexed: {indexed}")
    print(f"total: {elapsed:.1f} s -> {report.total / elapsed:.1f} rows/s")
    print(f"password hashing ({app.config['SECURITY_PASSWORD_HASH']}): {hashing['seconds']:.1f} s "
          f"({hashing['seconds'] / max(hashing['calls'], 1) * 1000:.0f} ms per password)")
    print(f"everything else (validation, database, indexing): {rest:.1f} s -> {report.total / rest:.1f} rows/s")
    if report.rejected:
        print("first rejections:", report.rejected[:3])
    return 0 if not report.rejected and indexed == report.total else 1


def report_org(tag):
    return Organisation.model_cls.query.filter_by(code=tag).one().pid


if __name__ == "__main__":
    sys.exit(main())
