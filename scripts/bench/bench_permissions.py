"""Cost of the permission layer against the real database:

- loading an identity (``needs.load_person`` + ``needs.provide``), as every request does,
  with the matrix cache warm and cold (after a grant, every process reloads it once);
- explaining one person's actions (``GET /api/patrons/<pid>/permissions``, ~180 lines);
- a whole ``GET /api/permissions/me`` request through the Flask test client.

    INVENIO_SQLALCHEMY_DATABASE_URI=postgresql+psycopg2://rero:rero@127.0.0.1:5432/<scratch db> \\
    INVENIO_SEARCH_INDEX_PREFIX=bench- .venv/bin/python scripts/bench/bench_permissions.py [--runs 300] [--libraries 20]

Creates a new organisation per run (tables and indexes are created when missing) with
``--libraries`` libraries and one librarian holding ``pro_full_permissions`` (the widest
identity: a library need per library of the organisation) plus a patron record elsewhere.
"""

import argparse
import statistics
import sys
import time
import uuid
import warnings
from pathlib import Path

from flask_principal import Identity
from invenio_db import db

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rero_ils_users.accounts.models import User  # noqa: E402
from rero_ils_users.factory import create_app  # noqa: E402
from rero_ils_users.libraries.service import libraries  # noqa: E402
from rero_ils_users.organisations.service import organisations  # noqa: E402
from rero_ils_users.patron_types.service import patron_types  # noqa: E402
from rero_ils_users.patrons.service import patrons  # noqa: E402
from rero_ils_users.permissions import matrix, needs  # noqa: E402
from rero_ils_users.permissions_api import service as permissions  # noqa: E402
from rero_ils_users.records.search import current_search  # noqa: E402
from rero_ils_users.users.service import users  # noqa: E402

warnings.filterwarnings("ignore", "nested transaction already deassociated")


def ref(resource, pid):
    return {"$ref": f"https://bench.local/api/{resource}/{pid}"}


def setup(tag, library_count):
    db.create_all()
    current_search.create()
    matrix.load_defaults()
    db.session.commit()
    system = needs.system_identity()
    orgs = [organisations.create(system, {"name": f"Bench {tag}{n}", "code": f"{tag}{n}"}).pid for n in (0, 1)]
    libs = [
        libraries.create(system, {"name": f"L{n}", "code": f"L{n}", "email": f"l{n}@example.org",
                                  "organisation": ref("organisations", orgs[0])}).pid
        for n in range(library_count)
    ]
    ptype = patron_types.create(system, {"name": "Adult", "organisation": ref("organisations", orgs[1])}).pid
    user, _ = users.create(system, {"username": f"bench-{tag}", "first_name": "Bench", "last_name": "Mark",
                                    "birth_date": "1980-01-01", "password": "Bench1234"})
    librarian = patrons.create(system, {"user_id": user.user_id, "organisation": ref("organisations", orgs[0]),
                                        "roles": ["pro_full_permissions", "pro_user_manager"],
                                        "libraries": [ref("libraries", libs[0])]})
    patrons.create(system, {"user_id": user.user_id, "organisation": ref("organisations", orgs[1]), "roles": ["patron"],
                            "patron": {"barcode": [f"B{tag}"], "type": ref("patron_types", ptype),
                                       "communication_channel": "mail", "communication_language": "eng",
                                       "expiration_date": "2099-01-01"}})
    return user.user_id, librarian.pid


def measure(fn, runs):
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def report(label, figures, extra=""):
    median, p95 = figures
    print(f"{label:<52} median {median:7.2f} ms   p95 {p95:7.2f} ms  {extra}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--libraries", type=int, default=20)
    args = parser.parse_args()
    app = create_app({"SEARCH_REFRESH": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        user_id, pid = setup(uuid.uuid4().hex[:6], args.libraries)
        roles = db.session.get(User, user_id).role_names

        def load():
            person = needs.load_person(user_id, roles)
            return needs.provide(Identity(user_id), person)

        identity = load()
        print(f"identity: {len(identity.provides)} needs, {len(identity.person.library_pids)} libraries, "
              f"{len(matrix.actions())} actions in the matrix; {args.runs} runs each")
        report("load identity (load_person + provide), cache warm", measure(load, args.runs))

        def load_cold():
            matrix.drop_cache()
            return load()

        report("load identity, matrix cache dropped each time", measure(load_cold, args.runs))
        lines = permissions.explain(needs.system_identity(), user_id)
        report("explain one person (service.explain)",
               measure(lambda: permissions.explain(needs.system_identity(), user_id), args.runs),
               f"({len(lines)} lines)")
        report("explain, matrix cache dropped each time",
               measure(lambda: (matrix.drop_cache(), permissions.explain(needs.system_identity(), user_id)), args.runs))
        db.session.commit()

    client = app.test_client()
    account = None
    with app.app_context():
        account = db.session.get(User, user_id).fs_uniquifier
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = account, True
    report("GET /api/permissions/me (whole request)",
           measure(lambda: client.get("/api/permissions/me").status_code == 200 or sys.exit("me failed"), args.runs))
    report(f"GET /api/patrons/{pid}/permissions (whole request)",
           measure(lambda: client.get(f"/api/patrons/{pid}/permissions").status_code == 200 or sys.exit("explain failed"),
                   max(50, args.runs // 3)))


if __name__ == "__main__":
    main()
