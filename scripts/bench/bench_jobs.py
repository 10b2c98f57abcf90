"""Run time and memory of the scheduled jobs over many rows:

- ``expire-patrons`` over N expired patrons (one notice each, to a local SMTP sink),
  then the same run again (idempotent: nothing to send);
- ``purge-history`` over M history entries of which half are past the six months.

    INVENIO_SQLALCHEMY_DATABASE_URI=postgresql+psycopg2://rero:rero@127.0.0.1:5432/<scratch db> \\
    INVENIO_SEARCH_INDEX_PREFIX=bench- INVENIO_JOBS_LOCK_REDIS_URL=redis://127.0.0.1:6379/9 \\
    .venv/bin/python scripts/bench/bench_jobs.py [--patrons 2000] [--history 50000]

Creates a new organisation per run (tables are created when missing). Accounts are
made without a password (hashing is not what is measured) and records are written
straight to the tables, unindexed: the jobs read the database only. The expiry
date is unique to the run, so earlier runs' patrons are already notified.
"""

import argparse
import resource
import socket
import sys
import time
import uuid
import warnings
from datetime import date, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from invenio_db import db

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rero_ils_users import clock  # noqa: E402
from rero_ils_users.accounts.models import User  # noqa: E402
from rero_ils_users.factory import create_app  # noqa: E402
from rero_ils_users.history.api import HistoryEntry  # noqa: E402
from rero_ils_users.jobs import expire, purge  # noqa: E402
from rero_ils_users.libraries.api import Library  # noqa: E402
from rero_ils_users.organisations.api import Organisation  # noqa: E402
from rero_ils_users.patron_types.api import PatronType  # noqa: E402
from rero_ils_users.patrons.api import Patron  # noqa: E402
from rero_ils_users.users.api import UserRecord  # noqa: E402

warnings.filterwarnings("ignore")


class Counting:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Counting.count += 1
        return "250 OK"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def populate(patrons, entries, expires):
    tag = uuid.uuid4().hex[:8]
    org = Organisation.create({"name": f"Bench {tag}", "code": f"b{tag}"}, code=f"b{tag}")
    lib = Library.create(
        {"name": "Bench library", "code": "main", "email": "desk@library.example.org", "organisation": {"pid": org.pid}},
        organisation_pid=org.pid,
        code="main",
    )
    ptype = PatronType.create({"name": "Standard", "organisation": {"pid": org.pid}}, organisation_pid=org.pid)
    db.session.commit()
    for n in range(patrons):
        account = User(username=f"bench-{tag}-{n}", email=f"bench-{tag}-{n}@example.org")
        db.session.add(account)
        db.session.flush()
        UserRecord.create({"username": account.username, "email": account.email, "first_name": "Anna", "last_name": f"Bench{n}"}, user_id=account.id)
        data = {
            "user_id": account.id,
            "organisation": {"pid": org.pid},
            "roles": ["patron"],
            "libraries": [{"pid": lib.pid}],
            "patron": {
                "barcode": [f"{tag}{n:08d}"],
                "type": {"pid": ptype.pid},
                "communication_channel": "email",
                "communication_language": ("eng", "fre", "ger", "ita")[n % 4],
                "expiration_date": expires.isoformat(),
            },
        }
        Patron.create(data, user_id=account.id, organisation_pid=org.pid)
        if n % 500 == 499:
            db.session.commit()
    db.session.commit()
    now = clock.now()
    rows = [
        {
            "patron_pid": "0",
            "user_id": 0,
            "organisation_pid": org.pid,
            "date": now - timedelta(days=30 if i % 2 else 400),
            "data": {"action": "checkout", "date": now.isoformat(), "item": {"barcode": "I", "title": "T"}, "library": {"pid": lib.pid}},
        }
        for i in range(entries)
    ]
    db.session.bulk_insert_mappings(HistoryEntry, rows)
    db.session.commit()


def timed(label, func, *args):
    start = time.perf_counter()
    result = func(*args)
    print(f"{label}: {time.perf_counter() - start:.2f}s {result}")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--patrons", type=int, default=2000)
    parser.add_argument("--history", type=int, default=50000)
    args = parser.parse_args()
    sink = Controller(Counting(), hostname="127.0.0.1", port=free_port())
    sink.start()
    app = create_app({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port})
    expires = date(2000, 1, 1) + timedelta(days=int(time.time()) % 9000)
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        populate(args.patrons, args.history, expires)
        print(f"populate {args.patrons} patrons, {args.history} history entries: {time.perf_counter() - start:.1f}s")
        start = time.perf_counter()
        first = timed("expire-patrons, first run", expire.run, expires)
        first_time = time.perf_counter() - start
        print(f"  notices received by SMTP: {Counting.count} ({first.get('expiry_sent', 0) / first_time:.0f}/s)")
        timed("expire-patrons, second run (idempotent)", expire.run, expires)
        timed("purge-history", purge.run, None)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    sink.stop()


if __name__ == "__main__":
    main()
