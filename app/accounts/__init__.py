"""Organisations and user accounts, and the admin pages that manage them."""
