"""The request path of the service served by gunicorn, beside its limits, in one run.

    .venv/bin/python scripts/bench serve --n 1000 [--n 10000] [--requests 200] [--profile]

For each size: a fresh database and index prefix of its own (default
``rero_ils_users_bench_serve`` and ``benchs-``), N generated people
(scripts/bench/people.py) plus one full librarian loaded with ``rero-ils-users
import``, an API token for that librarian (``rero-ils-users tokens create``), then
``rero-ils-users run --workers 2`` and a bare Flask app (bare_app.py) on the same
gunicorn, each on a free loopback port. One keep-alive client (requests.Session)
sends each request ``--requests`` times after a warm-up; p50 and p99 in ms.

Limits, measured the same way in the same run:
- the empty request: ``GET /api/`` of the bare Flask app ("bare HTTP");
- the email lookup: the SQL on the same unique index (``lower(email)``), timed in
  this process with psycopg2, plus bare HTTP;
- the patron searches: the very body the service sends (captured from its own
  query builder during one in-process request), POSTed straight to OpenSearch's
  ``_search`` with a keep-alive session, plus bare HTTP.

Results: var/bench/serve-<time>.json and .md (and serve-latest.*), printed too, and
serve-<time>.png: p50 against N for each request (bench_plot.py, matplotlib).
The write is ``PUT /api/users/<id>`` with ``If-Match`` (the ETag of the previous answer).
``--profile`` also writes pyinstrument HTML profiles of in-process requests
(``GET /api/``, the barcode search, the email lookup, the circulation check; Flask's
test client) to var/bench/.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import  # noqa: E402
from people import people  # noqa: E402

LIBRARIAN = "bench-librarian"
GOAL = 1.3


def arguments(argv):
    parser = argparse.ArgumentParser(prog="scripts/bench serve", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="people to load (repeat for several sizes; default 1000)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests of each kind")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of both servers")
    parser.add_argument("--database", default="postgresql+psycopg2://rero:rero@127.0.0.1:5432/rero_ils_users_bench_serve")
    parser.add_argument("--prefix", default="benchs-", help="index prefix of the benchmark")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8", help="Redis URL for the app's settings")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--profile", action="store_true", help="also profile in-process requests with pyinstrument")
    parser.add_argument("--keep", action="store_true", help="keep the database and indexes of the last size")
    args = parser.parse_args(argv)
    args.n = args.n or [1000]
    if not args.prefix.startswith("bench") or "_test" in args.database.rsplit("/", 1)[-1]:
        parser.error("the benchmark uses its own database and a bench* index prefix, never the test ones")
    return args


def environment(args):
    bench_import.environment(args)
    os.environ.update({"INVENIO_SESSION_REDIS_URL": args.redis, "INVENIO_RATE_LIMIT_REDIS_URL": args.redis})


# --- data -----------------------------------------------------------------------------
def rows(n):
    """N generated people, the first adult of the first organisation made a full librarian."""
    result = list(people(n))
    for row in result:
        if row["organisation"] == "benchlakes" and row["patron_type"] == "Adult" and not row.get("roles"):
            row.update(username=LIBRARIAN, roles=["patron", "pro_full_permissions"], libraries=["BL-MAIN"],
                       email="bench.librarian@example.org", blocked=False)
            row.pop("blocked_note", None)
            break
    return result


def load(app, n, workdir):
    bench_import.fresh(app)
    path = workdir / "people.jsonl"
    data = rows(n)
    with path.open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in data)
    seconds, code, _, output = bench_import.run_import(path, workdir / "import.log")
    if code != 0:
        raise SystemExit(f"import failed ({code}):\n{output[-2000:]}")
    token = subprocess.run([*bench_import.command(), "tokens", "create", "--user", LIBRARIAN, "--name", "bench"],
                           capture_output=True, text=True, check=True, timeout=120).stdout.strip().splitlines()[-1]
    path.unlink()
    return data, token, round(seconds, 1), "JSON Lines"


# --- servers --------------------------------------------------------------------------
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(argv, log, url):
    proc = subprocess.Popen(argv, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=str(Path(__file__).parent))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{argv[0]} exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return proc
        except requests.ConnectionError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"{argv} did not answer within 90 s")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- timing ---------------------------------------------------------------------------
def percentiles(samples):
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": round(pick(0.5) * 1000, 3), "p99": round(pick(0.99) * 1000, 3)}


def timed(call, count, warmup=20):
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def http(session, method, url, expect=200, **kwargs):
    def call():
        response = session.request(method, url, timeout=30, **kwargs)
        if response.status_code != expect:
            raise SystemExit(f"{method} {url}: {response.status_code} {response.text[:500]}")
        return response
    return call


def captured_bodies(app, token, urls):
    """The body the service sends to OpenSearch for each in-process request of ``urls``."""
    ext = app.extensions["rero-search"]
    original, bodies = ext.search, []

    def recording(resource, body, **params):
        bodies.append((ext.alias(resource), json.loads(json.dumps(body))))
        return original(resource, body, **params)

    ext.search = recording
    try:
        client = app.test_client()
        result = {}
        for name, url in urls.items():
            bodies.clear()
            response = client.get(url, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
            result[name] = bodies[-1]
        return result
    finally:
        ext.search = original


def explained(app, user_id, count):
    """The one-person explanation of all actions (``permissions_api.service.explain``), in
    this process, no HTTP: the goal of issue 13 is 2 ms."""
    from invenio_db import db

    from rero_ils_users.permissions.needs import system_identity
    from rero_ils_users.permissions_api.service import explain

    with app.app_context():
        try:
            return timed(lambda: explain(system_identity(), user_id), count)
        finally:
            db.session.remove()


def measure(app, args, data, token, workdir):
    import psycopg2

    service_port, bare_port = free_port(), free_port()
    service_url, bare_url = f"http://127.0.0.1:{service_port}", f"http://127.0.0.1:{bare_port}"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    service = start([*bench_import.command(), "run", "--workers", str(args.workers), "--port", str(service_port)],
                    workdir / "service.log", f"{service_url}/api/")
    bare = start([gunicorn, "--workers", str(args.workers), "--bind", f"127.0.0.1:{bare_port}", "--access-logfile", "-",
                  "--error-logfile", "-", "bare_app:app"], workdir / "bare.log", f"{bare_url}/api/")
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        bare_session = requests.Session()
        count = args.requests
        lakes = [r for r in data if r["organisation"] == "benchlakes" and r.get("username") != LIBRARIAN]
        person = next(r for r in lakes if r.get("email"))
        email, last_name, barcode = person["email"], person["last_name"], person["barcode"][0]

        found = http(session, "GET", f"{service_url}/api/patrons/", params={"barcode": barcode})().json()
        hit = found["hits"]["hits"][0]
        patron_pid = hit["id"]
        users_found = http(session, "GET", f"{service_url}/api/users/", params={"q": f"email:{email}"})().json()
        user_id = users_found["hits"]["hits"][0]["id"]

        results = {}
        bare_http = timed(http(bare_session, "GET", f"{bare_url}/api/"), count)
        results["GET /api/"] = {"service": timed(http(session, "GET", f"{service_url}/api/"), count),
                                "limit": bare_http, "limit_is": "bare Flask on the same gunicorn"}

        conn = psycopg2.connect(args.database.replace("postgresql+psycopg2", "postgresql"))
        cur = conn.cursor()

        def sql():
            cur.execute("SELECT id FROM accounts_user WHERE lower(email) = lower(%s)", (email,))
            assert cur.fetchone()
        raw_sql = timed(sql, count)
        conn.close()
        results["GET /api/users/?q=email:..."] = {
            "service": timed(http(session, "GET", f"{service_url}/api/users/", params={"q": f"email:{email}"}), count),
            "raw": raw_sql, "limit_is": "SQL on uq_accounts_user_email_lower (psycopg2, in-process) + bare HTTP"}

        search_host = app.config["SEARCH_HOSTS"][0]
        search_host = search_host if isinstance(search_host, str) else f"http://{search_host['host']}:{search_host['port']}"
        bodies = captured_bodies(app, token, {
            "q": f"/api/patrons/?q={requests.utils.quote(last_name)}",
            "barcode": f"/api/patrons/?barcode={barcode}",
        })
        raw_session = requests.Session()
        for name, params in (("q", {"q": last_name}), ("barcode", {"barcode": barcode})):
            index, body = bodies[name]
            label = "GET /api/patrons/?q=<last name>" if name == "q" else "GET /api/patrons/?barcode=..."
            results[label] = {
                "service": timed(http(session, "GET", f"{service_url}/api/patrons/", params=params), count),
                "raw": timed(http(raw_session, "POST", f"{search_host}/{index}/_search", json=body), count),
                "limit_is": "the service's own query body POSTed to OpenSearch _search + bare HTTP",
                "body": body}
        results["GET /api/patrons/<pid>/permissions"] = {
            "service": timed(http(session, "GET", f"{service_url}/api/patrons/{patron_pid}/permissions"), count)}
        results["GET /api/patrons/<pid>/circulation?action=checkout"] = {
            "service": timed(http(session, "GET", f"{service_url}/api/patrons/{patron_pid}/circulation",
                                  params={"action": "checkout"}), count)}

        read = http(session, "GET", f"{service_url}/api/users/{user_id}")()
        current, etag = read.json()["metadata"], {"If-Match": read.headers["ETag"]}

        def write():
            current["city"] = "Bench-" + str(time.perf_counter_ns() % 10**6)
            etag["If-Match"] = http(session, "PUT", f"{service_url}/api/users/{user_id}", json=current,
                                    headers=etag)().headers["ETag"]
        results["PUT /api/users/<id> (If-Match)"] = {"service": timed(write, count, warmup=5)}

        results["explain one person (in-process)"] = {"service": explained(app, user_id, count)}

        for entry in results.values():
            limit = entry.get("limit") or ({"p50": round(entry["raw"]["p50"] + bare_http["p50"], 3),
                                            "p99": round(entry["raw"]["p99"] + bare_http["p99"], 3)} if "raw" in entry else None)
            if limit:
                entry["limit"] = limit
                entry["ratio_p50"] = round(entry["service"]["p50"] / limit["p50"], 2)
                entry["meets_goal"] = entry["ratio_p50"] <= GOAL
        if args.profile:
            import bench_profile

            more = {"email-lookup": f"/api/users/?q=email:{email}",
                    "circulation": f"/api/patrons/{patron_pid}/circulation?action=checkout"}
            results["_profiles"] = bench_profile.profile(app, token, barcode, Path(args.out), more)
        return results
    finally:
        stop(service)
        stop(bare)


def markdown(report):
    lines = [f"Serve benchmark, {report['when']} on {report['machine']} (commit {report['commit']}; gunicorn "
             f"{report['workers']} workers; one keep-alive client on loopback; {report['requests']} requests each after 20 warm-up)"]
    for size in report["sizes"]:
        lines += ["", f"{size['people']} people (import {size['import_seconds']} s, {size['format']})", "",
                  "| request | service p50 / p99 ms | limit p50 / p99 ms (raw + bare HTTP) | ratio p50 | 1.3x goal |",
                  "|---|---:|---:|---:|---|"]
        for name, e in size["requests"].items():
            if name.startswith("_"):
                continue
            service = f"{e['service']['p50']} / {e['service']['p99']}"
            if "limit" in e:
                raw = f" (raw {e['raw']['p50']} / {e['raw']['p99']})" if "raw" in e else ""
                lines.append(f"| `{name}` | {service} | {e['limit']['p50']} / {e['limit']['p99']}{raw} | {e['ratio_p50']}x "
                             f"| {'met' if e['meets_goal'] else 'not met'} |")
            else:
                lines.append(f"| `{name}` | {service} | | | |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = arguments(argv if argv is not None else sys.argv[1:])
    environment(args)
    from rero_ils_users.factory import create_app

    app = create_app()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        **bench_import.run_stamp(),
        "workers": args.workers, "requests": args.requests, "sizes": [],
    }
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        workdir = Path(tmp)
        for n in args.n:
            data, token, seconds, fmt = load(app, n, workdir)
            size = {"people": n, "import_seconds": seconds, "format": fmt,
                    "requests": measure(app, args, data, token, workdir)}
            report["sizes"].append(size)
            print(json.dumps({k: v for k, v in size.items() if k != "requests"}), flush=True)
    bench_import.finish(app, args, out, "serve", report, markdown(report))
    import bench_plot

    print("plot:", ", ".join(str(p) for p in bench_plot.beside_latest(out, "serve", report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
