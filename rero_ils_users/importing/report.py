"""What an import tells: the counts, the rejects file, the progress bar."""

import csv
import json
import sys
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from .rows import COLUMNS, SECOND_ADDRESS

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
MAX_LISTED = 1000  # problems kept for the printed report (the rejects file has every one)


@dataclass
class Summary:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list = field(default_factory=list)  # (row, field, message), the first MAX_LISTED
    unlisted: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def imported(self):
        return self.created + self.updated + self.unchanged

    def count(self, outcome):
        setattr(self, outcome, getattr(self, outcome) + 1)

    def reject(self, number, errors):
        self.rejected += 1
        for problem in errors:
            if len(self.problems) < MAX_LISTED:
                self.problems.append((number, problem.field, problem.message))
            else:
                self.unlisted += 1

    def lines(self, dry_run=False):
        """The report; its last line is ``N of M row(s) imported, K rejected``."""
        elapsed = time.monotonic() - self.started
        rate = self.total / elapsed if elapsed > 0 else 0.0
        lines = []
        if self.problems:
            lines.append("row\tfield\tmessage")
            lines += [f"{n}\t{f or '-'}\t{m}" for n, f, m in self.problems]
            if self.unlisted:
                lines.append(f"... and {self.unlisted} more problem(s) (see the rejects file)")
        verb = "would be " if dry_run else ""
        lines.append(
            f"{verb}created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"
            f" in {elapsed:.1f} s ({rate:.1f} rows/s)" + (" (dry run: nothing was written)" if dry_run else "")
        )
        lines.append(f"{self.imported} of {self.total} row(s) imported, {self.rejected} rejected")
        return lines


def flat(row):
    """A row in the CSV import format (lists joined by ``;``), or None when it is not
    flat (nested values, or a column the format does not have)."""
    if not isinstance(row, dict):
        return None
    cells = {}
    for key, value in row.items():
        if key == "second_address" and isinstance(value, dict) and set(value) <= set(SECOND_ADDRESS):
            cells.update({f"second_address.{k}": v for k, v in value.items()})
        elif key not in COLUMNS:
            return None
        elif isinstance(value, list) and all(isinstance(v, str) and ";" not in v for v in value):
            cells[key] = ";".join(value)
        elif isinstance(value, bool):
            cells[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            cells[key] = value
        else:
            return None
    return cells


class RejectsFile:
    """``row, field, message`` and the original row, one line per rejected row: a CSV the
    import reads back as it is (those three columns are dropped), once corrected.

    A flat row keeps its cells in the columns of the CSV import format; any other (a
    RERO ILS row, an unknown column) is kept whole as JSON in the ``original`` column.
    Lines are written (and flushed) as rows are rejected."""

    def __init__(self, path):
        self.handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed by close())
        self.writer = csv.DictWriter(self.handle, ["row", "field", "message", *COLUMNS, "original"])
        self.writer.writeheader()

    def write(self, number, errors, row):
        cells = flat(row)
        if cells is None:
            cells = {"original": json.dumps(row, ensure_ascii=False)}
        fields = "; ".join(dict.fromkeys(e.field or "-" for e in errors))
        messages = "; ".join(e.message for e in errors)
        self.writer.writerow({"row": number, "field": fields, "message": messages, **cells})
        self.handle.flush()

    def close(self):
        self.handle.close()


def progress(total, label="importing"):
    """A progress bar on the terminal (rate, ETA), silent when stderr is not one."""
    return tqdm(total=total, desc=label, unit="row", file=sys.stderr, disable=not sys.stderr.isatty())
