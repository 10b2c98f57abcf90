"""jsonschemas/, mappings/ and the compiled catalogues must ship inside a built wheel, not only in a checkout."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_schemas_mappings_and_data(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    names = set(zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist())
    expected = {f"rero_ils_users/{p.relative_to(ROOT)}" for top in ("jsonschemas", "mappings") for p in (ROOT / top).rglob("*.json")}
    assert expected and expected <= names
    assert "rero_ils_users/permissions/data/matrix.json" in names
    # the catalogues, compiled by setup.py's build (the .mo are not in git)
    for language in ("en", "fr", "de", "it"):
        assert f"rero_ils_users/translations/{language}/LC_MESSAGES/messages.mo" in names
