"""Organisations: the library networks that own libraries and patron types."""
