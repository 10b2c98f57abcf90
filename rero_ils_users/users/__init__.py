"""Users: one per person, personal data plus the login account, shared by all organisations."""
