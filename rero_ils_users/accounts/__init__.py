"""Login accounts: credentials, account-level roles, API tokens, lockout."""
