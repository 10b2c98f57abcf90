"""Where the JSON schemas and search mappings are: inside the installed package
(a wheel ships them as ``rero_ils_users/jsonschemas`` and ``rero_ils_users/mappings``)
or at the top of a source checkout."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name):
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name}/ is neither in the package nor in the checkout")


def jsonschemas_dir():
    return _find("jsonschemas")


def mappings_dir():
    return _find("mappings") / "os-v2"
