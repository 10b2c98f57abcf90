"""A mixed desk workload from several client processes, at 1, 2 and 4 gunicorn workers.

    .venv/bin/python scripts/bench load --seconds 60 [--n 1000] [--clients 4] [--workers 1 --workers 2 ...]

N generated people and the bench librarian are loaded as ``scripts/bench serve`` does
(its own database and ``bench*`` index prefix, ``rero-ils-users import``, an API token).
Then, for each worker count, ``rero-ils-users run --workers W`` on a free loopback port
and ``--clients`` client processes, each with its own keep-alive session and seeded
random choice of request, for ``--seconds`` (and at most ``--max-requests`` each):

- 60% the desk: a barcode scan (``GET /api/patrons/?barcode=``) or a circulation check
  (``GET /api/patrons/<pid>/circulation?action=checkout``), half each;
- 25% searches (``GET /api/patrons/?q=<last name>``, with facets);
- 10% the "already registered?" lookup (``GET /api/users/?q=email:...``);
- 5% writes: an edit (``PUT /api/users/<id>`` with ``If-Match``, each client its own
  person) or a registration (``POST /api/users/`` then ``POST /api/patrons/``), half each.

Every answer other than the expected status is an error (the goal: 0). Per worker
count: throughput (requests/s over the phase), p50/p99 of all and of each kind.
Results: var/bench/load-<time>.json|md (and load-latest.*).
"""

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import  # noqa: E402
import bench_serve  # noqa: E402

MIX = (("scan", 30), ("circulation", 30), ("search", 25), ("lookup", 10), ("edit", 2.5), ("register", 2.5))
LABELS = {
    "scan": "GET /api/patrons/?barcode=",
    "circulation": "GET /api/patrons/<pid>/circulation?action=checkout",
    "search": "GET /api/patrons/?q=<last name>",
    "lookup": "GET /api/users/?q=email:",
    "edit": "PUT /api/users/<id> (If-Match)",
    "register": "POST /api/users/ + POST /api/patrons/ (each timed)",
}


def arguments(argv):
    parser = argparse.ArgumentParser(prog="scripts/bench load", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase (one per worker count)")
    parser.add_argument("--n", type=int, default=1000, help="people to load")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, action="append", help="gunicorn workers (repeat; default 1, 2, 4)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="bound of each client in each phase")
    parser.add_argument("--database", default="postgresql+psycopg2://rero:rero@127.0.0.1:5432/rero_ils_users_bench_load")
    parser.add_argument("--prefix", default="benchl-", help="index prefix of the benchmark")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8", help="Redis URL for the app's settings")
    parser.add_argument("--out", default=str(bench_serve.ROOT / "var" / "bench"))
    parser.add_argument("--keep", action="store_true", help="keep the database and indexes")
    args = parser.parse_args(argv)
    args.workers = args.workers or [1, 2, 4]
    if not args.prefix.startswith("bench") or "_test" in args.database.rsplit("/", 1)[-1]:
        parser.error("the benchmark uses its own database and a bench* index prefix, never the test ones")
    return args


# --- what the clients ask ------------------------------------------------------------------
def plan(session, url, data, clients):
    """The values the clients draw from, all of the librarian's organisation."""
    lakes = [r for r in data if r["organisation"] == "benchlakes" and r.get("username") != bench_serve.LIBRARIAN]
    barcodes = [r["barcode"][0] for r in lakes[:300]]
    pids = []
    for barcode in barcodes[:100]:
        hits = session.get(f"{url}/api/patrons/", params={"barcode": barcode}, timeout=30).json()["hits"]["hits"]
        pids.append(hits[0]["id"])
    record = session.get(f"{url}/api/patrons/{pids[0]}", timeout=30).json()["metadata"]
    emails = [r["email"] for r in lakes if r.get("email")][:300]
    editors = []
    for email in emails[-clients:]:
        editors.append(session.get(f"{url}/api/users/", params={"q": f"email:{email}"}, timeout=30).json()["hits"]["hits"][0]["id"])
    return {
        "barcodes": barcodes, "pids": pids, "names": sorted({r["last_name"] for r in lakes})[:200],
        "emails": emails[:-clients], "editors": editors,
        "organisation": record["organisation"], "patron_type": record["patron"]["type"],
    }


class Client:
    def __init__(self, url, token, values, index, run):
        self.url, self.values, self.index, self.run = url, values, index, run
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.random = random.Random(index * 7919 + run)
        self.samples, self.errors, self.made = {}, [], 0
        self.editing = values["editors"][index % len(values["editors"])]
        self.etag = None

    def call(self, kind, method, path, expect, **kwargs):
        start = time.perf_counter()
        try:
            response = self.session.request(method, self.url + path, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
            return None
        self.samples.setdefault(kind, []).append(time.perf_counter() - start)
        if response.status_code != expect:
            self.errors.append(f"{kind}: {method} {path} -> {response.status_code} {response.text[:200]}")
            return None
        return response

    def one(self, kind):
        v, pick = self.values, self.random.choice
        if kind == "scan":
            self.call(kind, "GET", "/api/patrons/", 200, params={"barcode": pick(v["barcodes"])})
        elif kind == "circulation":
            self.call(kind, "GET", f"/api/patrons/{pick(v['pids'])}/circulation", 200, params={"action": "checkout"})
        elif kind == "search":
            self.call(kind, "GET", "/api/patrons/", 200, params={"q": pick(v["names"])})
        elif kind == "lookup":
            self.call(kind, "GET", "/api/users/", 200, params={"q": f"email:{pick(v['emails'])}"})
        elif kind == "edit":
            self.edit()
        else:
            self.register()

    def edit(self):
        if self.etag is None:
            read = self.call("edit", "GET", f"/api/users/{self.editing}", 200)
            if read is None:
                return
            self.current, self.etag = read.json()["metadata"], read.headers["ETag"]
        self.current["city"] = f"Load-{self.random.randrange(10**6)}"
        done = self.call("edit", "PUT", f"/api/users/{self.editing}", 200, json=self.current, headers={"If-Match": self.etag})
        self.etag = done.headers["ETag"] if done is not None else None

    def register(self):
        self.made += 1
        tag = f"l{self.run}c{self.index}n{self.made}"
        person = {"username": f"load-{tag}", "email": f"load.{tag}@example.org", "first_name": "Load",
                  "last_name": f"Desk{tag}", "birth_date": "1990-01-02", "city": "Bench"}
        created = self.call("register", "POST", "/api/users/", 201, json=person)
        if created is None:
            return
        record = {"user_id": created.json()["id"], "organisation": self.values["organisation"], "roles": ["patron"],
                  "patron": {"barcode": [f"LOAD{tag}"], "type": self.values["patron_type"], "communication_channel": "email",
                             "communication_language": "eng", "expiration_date": (date.today() + timedelta(days=365)).isoformat()}}
        self.call("register", "POST", "/api/patrons/", 201, json=record)


def client_main(job):
    """One client process: requests until the deadline or the bound."""
    url, token, values, index, run, seconds, bound = job
    client = Client(url, token, values, index, run)
    kinds, weights = zip(*MIX, strict=True)
    deadline = time.monotonic() + seconds
    start, count = time.perf_counter(), 0
    while time.monotonic() < deadline and count < bound:
        client.one(client.random.choices(kinds, weights)[0])
        count += 1
    return {"samples": client.samples, "errors": client.errors, "elapsed": time.perf_counter() - start}


def phase(args, token, values, workers, workdir, run):
    port = bench_serve.free_port()
    url = f"http://127.0.0.1:{port}"
    server = bench_serve.start([*bench_import.command(), "run", "--workers", str(workers), "--port", str(port)],
                               workdir / f"service-{workers}.log", f"{url}/api/")
    try:
        warm = Client(url, token, values, 0, run)
        for kind, _ in MIX[:4]:
            for _ in range(10 * workers):
                warm.one(kind)
        jobs = [(url, token, values, i, run, args.seconds, args.max_requests) for i in range(args.clients)]
        started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(args.clients) as pool:
            results = pool.map(client_main, jobs)
        wall = time.perf_counter() - started
    finally:
        bench_serve.stop(server)
    merged, errors = {}, []
    for result in results:
        errors += result["errors"]
        for kind, samples in result["samples"].items():
            merged.setdefault(kind, []).extend(samples)
    every = [s for samples in merged.values() for s in samples]
    return {
        "workers": workers, "clients": args.clients, "seconds": round(wall, 1), "requests": len(every),
        "throughput": round(len(every) / wall, 1), "errors": len(errors), "first_errors": errors[:5],
        "all": bench_serve.percentiles(every) if every else None,
        "kinds": {kind: {"count": len(s), **bench_serve.percentiles(s)} for kind, s in sorted(merged.items())},
    }


def markdown(report):
    lines = [f"Load benchmark, {report['when']} on {report['machine']} (commit {report['commit']}; {report['people']} people; "
             f"{report['clients']} client processes on loopback, {report['seconds']} s a phase)", "",
             "| gunicorn workers | requests | throughput req/s | p50 / p99 ms (all) | errors |", "|---:|---:|---:|---:|---:|"]
    for p in report["phases"]:
        lines.append(f"| {p['workers']} | {p['requests']} | {p['throughput']} | {p['all']['p50']} / {p['all']['p99']} | {p['errors']} |")
    lines += ["", "| request | " + " | ".join(f"{p['workers']} w: n, p50 / p99 ms" for p in report["phases"]) + " |",
              "|---|" + "---:|" * len(report["phases"])]
    for kind, label in LABELS.items():
        cells = []
        for p in report["phases"]:
            k = p["kinds"].get(kind)
            cells.append(f"{k['count']}, {k['p50']} / {k['p99']}" if k else "")
        lines.append(f"| `{label}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = arguments(argv if argv is not None else sys.argv[1:])
    bench_serve.environment(args)
    from rero_ils_users.factory import create_app

    app = create_app()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        **bench_import.run_stamp(),
        "people": args.n, "clients": args.clients, "seconds": args.seconds, "mix": dict(MIX), "phases": [],
    }
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        workdir = Path(tmp)
        data, token, seconds, _ = bench_serve.load(app, args.n, workdir)
        report["import_seconds"] = seconds
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        port = bench_serve.free_port()
        url = f"http://127.0.0.1:{port}"
        server = bench_serve.start([*bench_import.command(), "run", "--workers", "1", "--port", str(port)], workdir / "plan.log", f"{url}/api/")
        try:
            values = plan(session, url, data, args.clients)
        finally:
            bench_serve.stop(server)
        run = int(time.time()) % 100_000
        for workers in args.workers:
            report["phases"].append(phase(args, token, values, workers, workdir, run + workers))
            print(json.dumps({k: v for k, v in report["phases"][-1].items() if k != "kinds"}), flush=True)
    bench_import.finish(app, args, out, "load", report, markdown(report))
    return 1 if any(p["errors"] for p in report["phases"]) else 0


if __name__ == "__main__":
    sys.exit(main())
