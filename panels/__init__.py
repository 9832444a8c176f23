"""Panel types, panel instances, areas and panel memberships."""
