"""Synthetic demonstration data: areas, agencies, panels and accounts for every role.

Nothing here describes a real person. Demo accounts exist only in development and demo
instances; their passwords and TOTP secrets are published in the README on purpose.
"""
