"""Routes of the review API, included at /api/v1/ by portal/urls.py (before the applications
API, whose router would otherwise answer ``applications/{id}/…`` first).

Names: ``api-eligibility``, ``api-formal-check``, ``api-reviewers-import``,
``api-assignments-run``, ``api-assignments-list`` / ``-detail``, ``api-assignments-declare``,
``api-assignments-review``, ``api-ranking``.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from reviews.api import assignments, formal_check, pool, ranking, reviewing

router = SimpleRouter()
router.register("assignments", assignments.AssignmentViewSet, basename="api-assignments")

urlpatterns = [
    path(
        "applications/<int:pk>/eligibility/", formal_check.EligibilityView.as_view(), name="api-eligibility"
    ),
    path(
        "applications/<int:pk>/formal-check/", formal_check.FormalCheckView.as_view(), name="api-formal-check"
    ),
    path("reviewers/import/", pool.ReviewerImportView.as_view(), name="api-reviewers-import"),
    path(
        "calls/<int:pk>/assignments/run/", assignments.AssignmentRunView.as_view(), name="api-assignments-run"
    ),
    path("calls/<int:pk>/ranking/", ranking.RankingView.as_view(), name="api-ranking"),
    path("assignments/<int:pk>/declare/", reviewing.DeclareView.as_view(), name="api-assignments-declare"),
    path("assignments/<int:pk>/review/", reviewing.ReviewView.as_view(), name="api-assignments-review"),
    *router.urls,
]
