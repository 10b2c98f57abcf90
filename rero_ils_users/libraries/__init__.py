"""Libraries: belong to one organisation; their email receives 'mail' notices."""
