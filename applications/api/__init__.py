"""The API of the applicant's side: calls (``calls``, public) and applications
(``applications``, with their serializers in ``application_serializers``)."""
