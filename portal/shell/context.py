"""Stub — replaced by the site-shell work."""


def shell(request):  # noqa: ANN001, ANN201
    return {}
