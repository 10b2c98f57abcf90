"""Circulation history of patrons: kept only for users who asked for it, for six months."""
