"""Librarian and patron pages."""
