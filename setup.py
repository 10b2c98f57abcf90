"""Packaging: metadata lives in setup.cfg; the package list is computed here because
``jsonschemas/`` and ``mappings/`` sit at the top of the repository and are shipped
inside the package as ``rero_ils_users.jsonschemas`` and ``rero_ils_users.mappings``."""

from pathlib import Path

from setuptools import find_namespace_packages, setup


def shipped_as(top):
    """``top`` and its sub-folders as packages of ``rero_ils_users``."""
    folders = [Path(top), *sorted(p for p in Path(top).rglob("*") if p.is_dir())]
    return [".".join(("rero_ils_users", *folder.parts)) for folder in folders]


setup(
    packages=find_namespace_packages(include=["rero_ils_users", "rero_ils_users.*"])
    + shipped_as("jsonschemas")
    + shipped_as("mappings"),
)
