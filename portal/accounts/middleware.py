"""Stub — replaced by the second-factor work."""


class SecondFactorMiddleware:
    def __init__(self, get_response):  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request):  # noqa: ANN001, ANN204
        return self.get_response(request)
