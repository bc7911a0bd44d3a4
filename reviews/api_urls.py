"""Routes of the review API, included at /api/v1/ by portal/urls.py (before the applications
API, whose router would otherwise answer ``applications/{id}/…`` first).

Names: ``api-eligibility``, ``api-formal-check``, ``api-reviewers-import``,
``api-assignments-run``, ``api-assignments-list`` / ``-detail``, ``api-assignments-declare``,
``api-assignments-review``, ``api-ranking``, ``api-shortlist``, ``api-awards-suggest``,
``api-awards``, ``api-award``, ``api-award-approve``, ``api-publicity``, ``api-objection-resolve``,
``api-notices``, ``api-notice-pdf``, ``api-notice-regenerate``, ``api-awards-export``,
``api-applications-export``.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from reviews.api import (
    assignments,
    awards,
    exports,
    formal_check,
    notices,
    pool,
    publicity,
    ranking,
    reviewing,
)

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
    # Decision.
    path("calls/<int:pk>/shortlist/", awards.ShortlistView.as_view(), name="api-shortlist"),
    path("calls/<int:pk>/awards/suggest/", awards.AwardSuggestView.as_view(), name="api-awards-suggest"),
    path("awards/", awards.AwardListView.as_view(), name="api-awards"),
    path("awards/<int:pk>/", awards.AwardDetailView.as_view(), name="api-award"),
    path("awards/<int:pk>/approve/", awards.AwardApproveView.as_view(), name="api-award-approve"),
    # Public announcement and objections.
    path("calls/<int:pk>/publicity/", publicity.PublicityView.as_view(), name="api-publicity"),
    path(
        "objections/<int:pk>/resolve/", publicity.ObjectionResolveView.as_view(), name="api-objection-resolve"
    ),
    # Funding notices.
    path("calls/<int:pk>/notices/", notices.NoticeBatchView.as_view(), name="api-notices"),
    path("notices/<int:pk>/pdf/", notices.NoticePdfView.as_view(), name="api-notice-pdf"),
    path(
        "notices/<int:pk>/regenerate/", notices.NoticeRegenerateView.as_view(), name="api-notice-regenerate"
    ),
    # Exports.
    path("calls/<int:pk>/awards/export/", exports.AwardsExportView.as_view(), name="api-awards-export"),
    path(
        "calls/<int:pk>/applications/export/",
        exports.ApplicationsExportView.as_view(),
        name="api-applications-export",
    ),
    *router.urls,
]
