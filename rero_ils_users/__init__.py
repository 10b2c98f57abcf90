"""rero-ils-users: users, patrons and permissions of a RERO ILS library network."""

__version__ = "0.1.0"
