"""Signing in: passwords, two-factor authentication, account activation and sign-out."""
