"""Placeholder; its owner replaces it."""

from rest_framework.views import APIView


class RankingView(APIView):
    pass
