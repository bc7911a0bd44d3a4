"""Pages of the applicant's side: calls (``calls``) and applications (``applications``)."""
