"""Subject access requests: recording them, their deadlines, and the bundle of every record
that mentions the person, gathered across panels for the auditor (DPO)."""
