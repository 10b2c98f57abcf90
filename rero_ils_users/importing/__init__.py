"""Bulk import and export of people (docs/import.md).

``readers`` streams rows out of a file (JSON list, JSON Lines, CSV); ``rero`` turns
RERO ILS's own files into rows and creates their reference records; ``rows`` turns a
row into service data; ``passwords`` classifies and hashes passwords in parallel;
``batches`` writes rows through the services, one transaction per batch; ``report``
counts, the rejects file and the progress bar; ``export`` writes the rows back out.
"""
