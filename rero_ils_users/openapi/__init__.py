"""The OpenAPI 3.1 description of the REST API, served at ``GET /api/openapi.json``.

``schemas.py`` turns the record schemas of ``jsonschemas/`` into components (no
field is typed twice) and adds the shapes of API.md (envelopes, errors);
``operations.py`` is the table of every ``/api`` route; ``document.py`` assembles
them; ``views.py`` serves the result. Plain dicts: the record schemas are JSON
schemas already, so a builder library (apispec) would only wrap ``dict`` updates.
``tests/openapi`` validates the document, compares it with the routes of the app
and fuzzes a live server against it (schemathesis)."""
