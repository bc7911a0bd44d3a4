"""Pages of the review, mounted at /review/ (namespace ``reviews``)."""

from django.urls import path

from reviews.views import assignments, formal_check, pool, ranking, workspace

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
]
