"""Placeholder; its owner replaces it."""

from rest_framework.views import APIView


class DeclareView(APIView):
    pass


class ReviewView(APIView):
    pass
