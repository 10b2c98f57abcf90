"""Patron types: circulation conditions of one organisation."""
