"""``scripts/bench serve --profile``: pyinstrument profiles of in-process requests.

Flask's test client (no HTTP server, no network between client and app), the
bench librarian's token, after a warm-up: ``GET /api/``, the barcode search, the
email lookup and the circulation check,
``PROFILE_REQUESTS`` of each under one profiler. HTML and text trees are written
to var/bench/profile-<name>.html|txt.
"""

from pyinstrument import Profiler

PROFILE_REQUESTS = 300


def profile(app, token, barcode, out, more=None):
    """``more``: ``{name: url}`` profiled the same way (the lookup, the circulation check)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    written = {}
    urls = {"api-root": "/api/", "barcode-search": f"/api/patrons/?barcode={barcode}", **(more or {})}
    for name, url in urls.items():
        for _ in range(20):
            assert client.get(url, headers=headers).status_code == 200
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(PROFILE_REQUESTS):
            client.get(url, headers=headers)
        profiler.stop()
        html, text = out / f"profile-{name}.html", out / f"profile-{name}.txt"
        html.write_text(profiler.output_html(), encoding="utf-8")
        text.write_text(profiler.output_text(unicode=True, show_all=False), encoding="utf-8")
        written[name] = {"url": url, "requests": PROFILE_REQUESTS, "html": str(html), "text": str(text)}
    return written
