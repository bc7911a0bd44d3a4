"""Every write of the reviews app, one module per concern (each function one transaction,
audited): rubric, formal check, expert pool, conflicts, assignments, reviews."""
