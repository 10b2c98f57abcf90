"""Shim for tools that still want a setup.py; everything lives in setup.cfg."""
from setuptools import setup

setup()
