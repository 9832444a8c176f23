"""The ASB Case Review (formerly the Community Trigger), held by a Community MARAC panel."""
