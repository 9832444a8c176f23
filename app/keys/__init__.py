"""Data keys: per-case and per-person keys wrapped by the key-encryption key, the sealed columns
that use them, blind indexes for searching sealed values, rotation and crypto-shredding."""
