"""Cases and the people in them: sealed identities, notes, blind-index search and retention."""
