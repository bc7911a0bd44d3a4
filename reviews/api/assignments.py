"""Placeholder; its owner replaces it."""

from rest_framework import viewsets
from rest_framework.views import APIView


class AssignmentRunView(APIView):
    pass


class AssignmentViewSet(viewsets.GenericViewSet):
    pass
