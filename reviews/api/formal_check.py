"""Placeholder; its owner replaces it."""

from rest_framework.views import APIView


class EligibilityView(APIView):
    pass


class FormalCheckView(APIView):
    pass
