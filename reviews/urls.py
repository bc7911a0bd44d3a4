"""Pages of the review, mounted at /review/ (namespace ``reviews``)."""

from django.urls import path

from reviews.views import (
    assignments,
    awards,
    dashboard,
    exports,
    formal_check,
    notices,
    pool,
    publicity,
    ranking,
    workspace,
)

app_name = "reviews"

urlpatterns = [
    # Formal check (bureau staff of the lead unit's province).
    path("formal-check/", formal_check.formal_check_list, name="formal_check_list"),
    path("formal-check/<int:pk>/", formal_check.formal_check_detail, name="formal_check_detail"),
    # Expert pool (review staff).
    path("experts/", pool.expert_list, name="expert_list"),
    path("experts/import/", pool.expert_import, name="expert_import"),
    # Assignment and progress (review staff); the review's home lists the calls with links.
    path("", assignments.review_home, name="home"),
    path("calls/<int:call_pk>/assignment/", assignments.assignment_overview, name="assignment_overview"),
    path(
        "calls/<int:call_pk>/assignment/runs/<int:pk>/",
        assignments.assignment_run_detail,
        name="assignment_run_detail",
    ),
    path("applications/<int:pk>/panel/", assignments.panel_detail, name="panel_detail"),
    path("calls/<int:call_pk>/progress/", assignments.review_progress, name="review_progress"),
    # The expert's workspace; staff reopen a submitted review.
    path("my/", workspace.my_assignments, name="my_assignments"),
    path("my/<int:pk>/", workspace.assignment_detail, name="assignment_detail"),
    path("my/<int:pk>/declare/", workspace.assignment_declare, name="assignment_declare"),
    path("my/<int:pk>/review/", workspace.assignment_review, name="assignment_review"),
    path("my/<int:pk>/application.pdf", workspace.assignment_pdf, name="assignment_pdf"),
    path("assignments/<int:pk>/reopen/", workspace.review_reopen, name="review_reopen"),
    # Ranking (review staff).
    path("calls/<int:call_pk>/ranking/", ranking.ranking, name="ranking"),
    # Decision (review staff of both bureaus): shortlist, awards, joint approval.
    path("calls/<int:call_pk>/awards/", awards.awards_board, name="awards"),
    path("calls/<int:call_pk>/awards/shortlist/", awards.shortlist, name="shortlist"),
    path("calls/<int:call_pk>/awards/suggest/", awards.awards_suggest, name="awards_suggest"),
    path("applications/<int:pk>/award/", awards.award_edit, name="award_edit"),
    path("awards/<int:pk>/approve/", awards.award_approve, name="award_approve"),
    # The public announcement as staff run it, and the objections.
    path("calls/<int:call_pk>/publicity/", publicity.publicity, name="publicity"),
    path("objections/<int:pk>/", publicity.objection_detail, name="objection_detail"),
    path("objections/<int:pk>/attachment/", publicity.objection_attachment, name="objection_attachment"),
    # Funding notices: the call's batch (staff); one notice (staff, its project leader and unit).
    path("calls/<int:call_pk>/notices/", notices.notices, name="notices"),
    path("notices/mine/", notices.my_notices, name="my_notices"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/pdf/", notices.notice_pdf, name="notice_pdf"),
    path("notices/<int:pk>/regenerate/", notices.notice_regenerate, name="notice_regenerate"),
    # Dashboard and downloads (staff and administrators).
    path("calls/<int:call_pk>/dashboard/", dashboard.dashboard, name="dashboard"),
    path("calls/<int:call_pk>/awards/export/", exports.awards_export, name="awards_export"),
    path("calls/<int:call_pk>/applications/export/", exports.applications_export, name="applications_export"),
]
