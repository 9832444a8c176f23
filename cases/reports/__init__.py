"""Aggregate reports for managers, coordinators and chairs (issue 20): who sees which panels'
figures, the MARAC repeat rate by meeting date, and its suppressed exports."""
