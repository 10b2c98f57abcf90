"""Rows out of an import file, one at a time: memory does not grow with the file.

A JSON file holds a list of objects (parsed incrementally by ijson), a JSON Lines
file one object per line, a CSV file a header line and one row per line (``;``
between list items). A CSV rejects file (``report.RejectsFile``) reads back as
the rows it holds: its ``row``, ``field`` and ``message`` columns are dropped and an
``original`` column (rows that were not flat) holds the row as JSON.
"""

import csv
import json
from pathlib import Path

import ijson

from .rows import from_csv

CONTAINERS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
REJECT_COLUMNS = ("row", "field", "message")
ORIGINAL = "original"


class BadRow:
    """A row that could not be parsed (a JSON Lines line that is not JSON)."""

    def __init__(self, message):
        self.message = message


def container(path, fmt=None):
    """``json``, ``jsonl`` or ``csv``: ``fmt`` when it names one, else the file's extension."""
    if fmt in ("json", "jsonl", "csv"):
        return fmt
    found = CONTAINERS.get(Path(path).suffix.lower())
    if found is None:
        raise ValueError("The file name must end in .json or .csv, or .jsonl for JSON Lines (or give --format).")
    return found


def iter_rows(path, kind):
    """The rows of ``path`` (a ``container``), in file order."""
    return {"json": _json_rows, "jsonl": _jsonl_rows, "csv": _csv_rows}[kind](Path(path))


def count_rows(path, kind):
    """How many rows ``iter_rows`` will give (a quick pass, for the progress bar's ETA)."""
    return sum(1 for _ in iter_rows(path, kind))


def _json_rows(path):
    with path.open("rb") as handle:
        start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        if not start.startswith(b"["):
            raise ValueError("A JSON import file holds a list of objects.")
        handle.seek(0)
        if handle.read(3) != b"\xef\xbb\xbf":
            handle.seek(0)
        try:
            yield from ijson.items(handle, "item", use_float=True)
        except ijson.JSONError as exc:
            raise ValueError(f"Not valid JSON: {exc}") from None


def _jsonl_rows(path):
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                yield BadRow(f"Not valid JSON: {exc}")


def _csv_rows(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        rejects = tuple(header[:3]) == REJECT_COLUMNS
        for row in reader:
            if rejects:
                row = {k: v for k, v in row.items() if k not in REJECT_COLUMNS}
                original = row.pop(ORIGINAL, None)
                if original and original.strip():
                    yield _original(original)
                    continue
            yield from_csv(row)


def _original(text):
    try:
        return json.loads(text or "")
    except json.JSONDecodeError as exc:
        return BadRow(f"The original column is not valid JSON: {exc}")
