"""Import rate of `rero-ils-users import` beside a raw OpenSearch bulk of the same documents.

    .venv/bin/python scripts/bench import --n 10000 [--n 100000] [--n 1000000]

For each size, in one run on this machine: a fresh database and index prefix of
its own (default ``rero_ils_users_bench`` and ``bench-``, never the test ones),
two organisations with their libraries and patron types, N generated people
(scripts/bench/people.py) written as JSON Lines (``--format json``: one JSON list), then

- ``rero-ils-users import FILE`` as a subprocess: people/s (wall clock, start of
  the process to its exit, indexing included) and its peak RSS (``os.wait4``);
- the users and patron documents the import produced, read back from the
  index, bulk-loaded with ``helpers.bulk`` into scratch indexes with the same
  mappings: people/s of that raw bulk, and the ratio import/raw.

Results: var/bench/import-<time>.json and .md (and import-latest.*), printed too.
Rows carry no password, as in a migration.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from people import ORGANISATIONS, PATRON_TYPES, people  # noqa: E402

warnings.filterwarnings("ignore", "nested transaction already deassociated")
SUMMARY = re.compile(r"(\d+) of (\d+) row\(s\) imported, (\d+) rejected")


def arguments(argv):
    parser = argparse.ArgumentParser(prog="scripts/bench import", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="people to import (repeat for several sizes; default 10000)")
    parser.add_argument("--database", default="postgresql+psycopg2://rero:rero@127.0.0.1:5432/rero_ils_users_bench")
    parser.add_argument("--prefix", default="bench-", help="index prefix of the benchmark")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="Redis URL for the app's settings")
    parser.add_argument("--format", choices=("jsonl", "json"), default="jsonl", help="import file format")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--keep", action="store_true", help="keep the database and indexes of the last size")
    args = parser.parse_args(argv)
    args.n = args.n or [10000]
    if not args.prefix.startswith("bench") or "_test" in args.database.rsplit("/", 1)[-1]:
        parser.error("the benchmark uses its own database and a bench* index prefix, never the test ones")
    return args


def environment(args):
    os.environ.update({
        "INVENIO_SQLALCHEMY_DATABASE_URI": args.database,
        "INVENIO_SEARCH_INDEX_PREFIX": args.prefix,
        "INVENIO_CELERY_BROKER_URL": args.redis,
        "INVENIO_LOGIN_REDIS_URL": args.redis,
        "INVENIO_JOBS_LOCK_REDIS_URL": args.redis,
    })


def fresh(app):
    """Empty database and indexes, then the organisations, libraries and patron types the rows name."""
    from invenio_db import db
    from sqlalchemy_utils.functions import create_database, database_exists

    from rero_ils_users.libraries.service import libraries
    from rero_ils_users.organisations.service import organisations
    from rero_ils_users.patron_types.service import patron_types
    from rero_ils_users.permissions import matrix
    from rero_ils_users.permissions.needs import system_identity
    from rero_ils_users.records.search import current_search

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not database_exists(url):
        create_database(url)
    with app.app_context():
        db.drop_all()
        current_search.delete()
        db.create_all()
        current_search.create()
        matrix.load_defaults()
        db.session.commit()
        identity = system_identity()
        for org in ORGANISATIONS:
            pid = organisations.create(identity, {"name": org["name"], "code": org["code"]}).pid
            ref = {"$ref": f"https://bench.local/api/organisations/{pid}"}
            for code in org["libraries"]:
                libraries.create(identity, {"name": code, "code": code, "email": f"{code.lower()}@example.org", "organisation": ref})
            for name in PATRON_TYPES:
                patron_types.create(identity, {"name": name, "organisation": ref})


def write_rows(path, count, as_list):
    """Stream the rows to ``path`` (JSON Lines, or one JSON list); returns seconds."""
    start = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n" if as_list else "")
        for n, row in enumerate(people(count)):
            if as_list and n:
                out.write(",\n")
            out.write(json.dumps(row, ensure_ascii=False))
            out.write("" if as_list else "\n")
        out.write("\n]\n" if as_list else "")
    return time.perf_counter() - start


def command():
    return [str(Path(sys.executable).with_name("rero-ils-users"))]


def run_import(path, log):
    """``(seconds, exit code, peak RSS in MB, output)`` of ``rero-ils-users import path``."""
    with log.open("w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([*command(), "import", str(path)], stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, proc.returncode, usage.ru_maxrss / 1024, log.read_text(errors="replace")


def raw_bulk(app, workdir):
    """Bulk the users and patron documents of the index into scratch indexes: ``(documents, seconds)``."""
    from opensearchpy.helpers import bulk, scan

    from rero_ils_users.records.search import current_search

    with app.app_context():
        client, dump, docs = current_search.client, workdir / "documents.ndjson", 0
        current_search.refresh()
        scratch = {}
        with dump.open("w", encoding="utf-8") as out:
            for resource in ("users", "patrons"):
                _, base, body = current_search.definition(resource)
                scratch[resource] = f"{current_search.prefix}scratch-{resource}"
                client.indices.delete(index=scratch[resource], ignore_unavailable=True)
                client.indices.create(index=scratch[resource], body=body)
                for hit in scan(client, index=current_search.alias(resource), size=1000):
                    out.write(json.dumps({"_index": scratch[resource], "_id": hit["_id"], "_source": hit["_source"]}) + "\n")
                    docs += 1

        def actions():
            with dump.open(encoding="utf-8") as lines:
                for line in lines:
                    yield json.loads(line)

        start = time.perf_counter()
        bulk(client, actions(), chunk_size=500, request_timeout=120)
        client.indices.refresh(index=",".join(scratch.values()))
        seconds = time.perf_counter() - start
        client.indices.delete(index=",".join(scratch.values()))
        dump.unlink()
    return docs, seconds


def one_size(app, n, as_list, workdir):
    fresh(app)
    path = workdir / ("people.json" if as_list else "people.jsonl")
    generated = write_rows(path, n, as_list)
    seconds, code, rss, output = run_import(path, workdir / "import.log")
    found = SUMMARY.findall(output)
    imported, total, rejected = (int(x) for x in found[-1]) if found else (0, n, n)
    docs, raw_seconds = raw_bulk(app, workdir)
    result = {
        "people": n, "file": path.name, "file_mb": round(path.stat().st_size / 2**20, 1),
        "generate_seconds": round(generated, 1),
        "imported": imported, "rejected": rejected, "exit_code": code,
        "import_seconds": round(seconds, 1), "import_people_per_s": round(imported / seconds, 1),
        "import_peak_rss_mb": round(rss, 1),
        "raw_documents": docs, "raw_seconds": round(raw_seconds, 2),
        "raw_people_per_s": round(imported / raw_seconds, 1) if raw_seconds else None,
    }
    result["ratio"] = round(result["import_people_per_s"] / result["raw_people_per_s"], 4) if result["raw_people_per_s"] else None
    if rejected:
        result["first_rejections"] = [line for line in output.splitlines() if "\t" in line][:5]
    path.unlink()
    return result


def markdown(report):
    lines = [
        f"Import benchmark, {report['when']} on {report['machine']} (commit {report['commit']}, "
        f"import file {report['format']}, password hash {report['password_hash']}, rows without password)",
        "",
        "| people | imported | rejected | import s | import people/s | import peak RSS MB | raw bulk people/s (users + patrons docs) | ratio import/raw |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["sizes"]:
        lines.append(
            f"| {r['people']} | {r['imported']} | {r['rejected']} | {r['import_seconds']} | {r['import_people_per_s']} "
            f"| {r['import_peak_rss_mb']} | {r['raw_people_per_s']} ({r['raw_documents']} docs) | {r['ratio']} |"
        )
    return "\n".join(lines) + "\n"


def run_stamp():
    """When, on what machine and at which commit a benchmark ran (the head of every report)."""
    return {
        "when": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
    }


def finish(app, args, out, kind, report, table):
    """Write ``<kind>-<time>`` and ``<kind>-latest`` (.json, .md), print the table and,
    unless ``--keep``, drop the bench's tables and indexes."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    for name in (f"{kind}-{stamp}", f"{kind}-latest"):
        (out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        (out / f"{name}.md").write_text(table, encoding="utf-8")
    print(table)
    if not args.keep:
        from invenio_db import db

        from rero_ils_users.records.search import current_search

        with app.app_context():
            db.drop_all()
            current_search.delete()


def main(argv=None):
    args = arguments(argv if argv is not None else sys.argv[1:])
    environment(args)
    from rero_ils_users.factory import create_app

    app = create_app()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        workdir = Path(tmp)
        as_list = args.format == "json"
        report = {
            **run_stamp(),
            "format": "JSON list" if as_list else "JSON Lines",
            "password_hash": app.config.get("SECURITY_PASSWORD_HASH"),
            "sizes": [],
        }
        for n in args.n:
            report["sizes"].append(one_size(app, n, as_list, workdir))
            print(json.dumps(report["sizes"][-1]), flush=True)
    finish(app, args, out, "import", report, markdown(report))
    return 0 if all(r["rejected"] == 0 for r in report["sizes"]) else 1


if __name__ == "__main__":
    sys.exit(main())
