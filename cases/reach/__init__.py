"""Who may see a case because of what happened to it, kept as rows (issue 23).

A representative sees the cases listed at a meeting whose confidentiality statement they
accepted, and the cases their agency referred (`cases.policy.case_scope`). Asked of each case
of a panel, that was a probe per case for every list and count, the slowest query a
representative ran. Kept here as rows derived from the referrals, agenda entries, declarations
and each case's panel, it is one range of an index per representative, as fast as a
coordinator's list. `services` refreshes the rows in the same flush that changes what they are
derived from, so they are never out of date inside a committed transaction.
"""
