"""Packaging: metadata lives in setup.cfg; the package list is computed here because
``jsonschemas/`` and ``mappings/`` sit at the top of the repository and are shipped
inside the package as ``rero_ils_users.jsonschemas`` and ``rero_ils_users.mappings``."""

import runpy
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py


class build_py_with_catalogues(build_py):  # noqa: N801  (setuptools' naming)
    """Also compile the translation catalogues (.po -> .mo) into the build: a wheel
    ships them although they are not in git (rero_ils_users/i18n/compile.py)."""

    def run(self):
        super().run()
        compile_py = Path(__file__).resolve().parent / "rero_ils_users" / "i18n" / "compile.py"
        target = Path(self.build_lib) / "rero_ils_users" / "translations"
        try:
            runpy.run_path(str(compile_py))["compile_catalogues"](target=target)
        except ImportError:  # Babel missing in an isolated build environment
            self.warn("Babel is not installed: the wheel has no compiled catalogues (English only)")


def shipped_as(top):
    """``top`` and its sub-folders as packages of ``rero_ils_users``."""
    folders = [Path(top), *sorted(p for p in Path(top).rglob("*") if p.is_dir())]
    return [".".join(("rero_ils_users", *folder.parts)) for folder in folders]


setup(
    cmdclass={"build_py": build_py_with_catalogues},
    packages=find_namespace_packages(include=["rero_ils_users", "rero_ils_users.*"])
    + shipped_as("jsonschemas")
    + shipped_as("mappings"),
)
