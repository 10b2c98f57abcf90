"""Patrons: the management data of one person in one organisation."""
