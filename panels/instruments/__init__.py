"""The risk instruments a referral is assessed with: one module each, holding the instrument's
questions, its scoring and its form (`dash`, `asb_matrix`). `section` holds what their forms
share with the rest of the referral task list."""
