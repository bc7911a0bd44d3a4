"""The ranking of a call: the page (reviews:ranking) and GET /api/v1/calls/{id}/ranking/ —
who may read it, filters, sorting, what counts, the tie-break, and a query count that does
not grow with the applications."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import ApplicationStatus
from portal.accounts.roles import Role
from reviews import scoring
from reviews.models import Assignment, AssignmentStatus, Criterion, Review, ReviewStatus, Score
from tests.factories import OrganizationFactory, UserFactory, make_applicant
from tests.reviews.factories import (
    make_accepted_application,
    make_call_with_rubric,
    make_expert,
    make_staff,
)

pytestmark = pytest.mark.django_db

D = Decimal
# Page and endpoint: session, user, call (+ its fields), tasks, criteria, applications, reviews,
# scores — the same at 10 and at 250 applications × 5 reviews.
MAX_QUERIES = 9


# --- Data, written as rows ----------------------------------------------------------------------


def _sheet(criteria: list[Criterion], fraction: Decimal) -> dict[str, Decimal]:
    return {c.code: (c.max_points * fraction).quantize(D("0.1")) for c in criteria}


def add_reviews(
    application,
    experts,
    fractions: list[Decimal],
    *,
    status: str = ReviewStatus.SUBMITTED,
    recommendation: str = "fund",
    sheets: list[dict[str, Decimal]] | None = None,
    submitted_at=None,
) -> list[Review]:
    """One declared assignment per expert and a review of the given fractions of the maximum."""
    criteria = list(Criterion.objects.filter(call=application.call).order_by("position"))
    specs = [scoring.CriterionSpec(c.code, c.weight, c.max_points) for c in criteria]
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                application=application,
                reviewer=expert,
                source="solver",
                status=AssignmentStatus.DECLARED,
                declared_at=timezone.now(),
            )
            for expert in experts
        ]
    )
    sheets = sheets or [_sheet(criteria, fraction) for fraction in fractions]
    reviews = Review.objects.bulk_create(
        [
            Review(
                assignment=assignment,
                status=status,
                recommendation=recommendation,
                total=scoring.weighted_total(sheet, specs) if status == ReviewStatus.SUBMITTED else None,
                submitted_at=submitted_at or timezone.now() if status == ReviewStatus.SUBMITTED else None,
            )
            for assignment, sheet in zip(assignments, sheets, strict=True)
        ]
    )
    by_code = {c.code: c for c in criteria}
    Score.objects.bulk_create(
        [
            Score(review=review, criterion=by_code[code], points=points)
            for review, sheet in zip(reviews, sheets, strict=True)
            for code, points in sheet.items()
        ]
    )
    return reviews


def pool(count: int = 10) -> list:
    """Experts of both provinces, alternating."""
    return [make_expert("SC" if i % 2 == 0 else "CQ", ("ai", "health")) for i in range(count)]


def build_call(applications: int, *, experts: int = 10, reviews: int = 5):
    """A call with ``applications`` under review, each with ``reviews`` submitted reviews by
    experts of both provinces; field ai for even, health for odd applications."""
    call = make_call_with_rubric()
    experts_ = pool(experts)
    made = []
    for i in range(applications):
        application = make_accepted_application(
            call,
            field="ai" if i % 2 == 0 else "health",
            province="CQ" if i % 3 else "SC",
            status=ApplicationStatus.UNDER_REVIEW,
        )
        panel = [experts_[(i + k) % len(experts_)] for k in range(reviews)]
        fractions = [D("0.50") + D((i * 7 + k * 3) % 45) / 100 for k in range(reviews)]
        add_reviews(application, panel, fractions)
        made.append(application)
    return call, experts_, made


@pytest.fixture
def small_call():
    return build_call(4)


def page_url(call, **params) -> str:
    url = reverse("reviews:ranking", args=[call.pk])
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def api_url(call) -> str:
    return reverse("api-ranking", args=[call.pk])


def _unit_admin():
    return UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory())


# --- Who may read it ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_user",
    [lambda: make_staff("SC"), lambda: make_staff("CQ"), lambda: UserFactory(role=Role.ADMIN)],
    ids=["staff-SC", "staff-CQ", "admin"],
)
def test_review_staff_of_both_provinces_and_admins_read_the_page_and_the_api(
    client, api_client, small_call, make_user
):
    call, _experts, applications = small_call
    user = make_user()
    client.force_login(user)
    api_client.force_authenticate(user)

    page = client.get(page_url(call), HTTP_ACCEPT_LANGUAGE="en")
    api = api_client.get(api_url(call))

    assert page.status_code == 200
    for application in applications:
        assert reverse("applications:detail", args=[application.pk]) in page.content.decode()
    assert api.status_code == 200
    assert api.json()["count"] == 4


@pytest.mark.parametrize(
    "make_user",
    [make_applicant, lambda: make_expert("SC").user, _unit_admin],
    ids=["applicant", "expert", "unit-admin"],
)
def test_applicants_experts_and_unit_admins_are_refused(client, api_client, small_call, make_user):
    call, _experts, _applications = small_call
    user = make_user()
    client.force_login(user)
    api_client.force_authenticate(user)

    page = client.get(page_url(call))
    with translation.override("en"):
        api = api_client.get(api_url(call), HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 403
    assert api.status_code == 403
    assert api.json()["errors"][0]["code"] == "permission_denied"
    assert "bureau staff" in api.json()["detail"]


def test_an_anonymous_visitor_is_sent_to_sign_in_and_the_api_answers_401(client, api_client, small_call):
    call, _experts, _applications = small_call

    page = client.get(page_url(call))
    api = api_client.get(api_url(call))

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert api.status_code == 401


def test_an_unknown_call_is_404_for_staff(client, api_client):
    staff = make_staff("CQ")
    client.force_login(staff)
    api_client.force_authenticate(staff)

    assert client.get(reverse("reviews:ranking", args=[999999])).status_code == 404
    assert api_client.get(reverse("api-ranking", args=[999999])).status_code == 404


def test_a_draft_call_is_404_for_non_staff_and_readable_by_staff(client, api_client):
    call = make_call_with_rubric(status="draft")
    applicant = make_applicant()
    client.force_login(applicant)
    api_client.force_authenticate(applicant)

    # Not 403: a draft call is not visible to them at all.
    assert client.get(page_url(call)).status_code == 404
    assert api_client.get(api_url(call)).status_code == 404

    staff = make_staff("CQ")
    api_client.force_authenticate(staff)
    assert api_client.get(api_url(call)).status_code == 200


# --- What counts --------------------------------------------------------------------------------


def test_only_applications_in_review_of_this_call_and_only_submitted_reviews_count(api_client):
    call = make_call_with_rubric()
    experts = pool(6)
    counted = make_accepted_application(call, status=ApplicationStatus.UNDER_REVIEW)
    add_reviews(counted, experts[:3], [D("0.8"), D("0.7"), D("0.9")])
    # A draft review and a declined assignment do not count.
    add_reviews(counted, experts[3:4], [D("0.1")], status=ReviewStatus.DRAFT)
    declined = add_reviews(counted, experts[4:5], [D("0.1")])
    Assignment.objects.filter(review__in=declined).update(status=AssignmentStatus.DECLINED)
    accepted = make_accepted_application(call, status=ApplicationStatus.ACCEPTED)
    make_accepted_application(call, status=ApplicationStatus.ENDORSED)
    make_accepted_application(call, status=ApplicationStatus.INELIGIBLE)
    other_call = make_accepted_application(make_call_with_rubric(), status=ApplicationStatus.UNDER_REVIEW)
    api_client.force_authenticate(make_staff("SC"))

    body = api_client.get(api_url(call)).json()

    rows = {row["application"]["id"]: row for row in body["results"]}
    assert set(rows) == {counted.pk, accepted.pk}
    assert other_call.pk not in rows
    row = rows[counted.pk]
    assert (row["submitted"], row["assigned"]) == (3, 4)  # the draft's expert is still assigned
    assert row["mean"] == "80.00"
    assert row["rank"] == 1
    assert "pending" in row["flags"] and "few" in row["flags"]
    assert rows[accepted.pk]["rank"] is None and rows[accepted.pk]["mean"] is None


def test_the_api_shows_every_aggregate_of_the_scoring_module(api_client):
    call = make_call_with_rubric(disagreement_threshold=D("10"))
    experts = pool(5)
    application = make_accepted_application(call, status=ApplicationStatus.UNDER_REVIEW)
    add_reviews(application, experts, [D("0.6"), D("0.8"), D("0.82"), D("0.84"), D("0.98")])
    api_client.force_authenticate(make_staff("CQ"))

    row = api_client.get(api_url(call)).json()["results"][0]

    assert row["mean"] == "80.80"
    assert row["median"] == "82.00"
    assert row["trimmed_mean"] == "82.00"
    assert row["spread"] == "38.00"
    assert row["disagreement"] is True and "disagreement" in row["flags"]
    # Experts 0, 2, 4 are of Sichuan (60, 82, 98), 1 and 3 of Chongqing (80, 84).
    assert row["mean_by_province"] == {"CQ": "82.00", "SC": "80.00"}
    assert row["min_by_criterion"]["innovation"] == "12.00"
    assert row["recommendations"] == {"fund": 5}
    assert row["field"] == "ai" and row["province"] == "CQ"


def test_the_rank_follows_the_written_tie_break(api_client):
    call = make_call_with_rubric()
    experts = pool(3)
    criteria = list(Criterion.objects.filter(call=call).order_by("position"))
    t0 = timezone.now() - timedelta(days=3)

    def sheet(innovation: str, budget: str) -> dict[str, Decimal]:
        # Same total (70) with a different share of innovation.
        base = {c.code: c.max_points * D("0.7") for c in criteria}
        base["innovation"] = D(innovation)
        base["budget"] = D(budget)
        return base

    def app(submitted_days_ago: int):
        application = make_accepted_application(call, status=ApplicationStatus.UNDER_REVIEW)
        application.submitted_at = t0 - timedelta(days=submitted_days_ago)
        application.save(update_fields=["submitted_at"])
        return application

    best = app(0)
    add_reviews(best, experts, [D("0.9"), D("0.9"), D("0.9")])
    better_innovation = app(0)
    add_reviews(better_innovation, experts, [None] * 3, sheets=[sheet("16", "5")] * 3)
    earlier = app(2)
    add_reviews(earlier, experts, [None] * 3, sheets=[sheet("14", "7")] * 3)
    later = app(1)
    add_reviews(later, experts, [None] * 3, sheets=[sheet("14", "7")] * 3)
    unreviewed = app(5)
    api_client.force_authenticate(make_staff("SC"))

    body = api_client.get(api_url(call)).json()

    order = [row["application"]["id"] for row in body["results"]]
    assert order == [best.pk, better_innovation.pk, earlier.pk, later.pk, unreviewed.pk]
    assert [row["rank"] for row in body["results"]] == [1, 2, 3, 4, None]
    assert body["results"][1]["trimmed_mean"] == body["results"][2]["trimmed_mean"] == "70.00"


# --- Filters and sorting ------------------------------------------------------------------------


def test_the_field_and_task_filters_narrow_the_rows_and_rank_within_them(client, api_client, small_call):
    call, _experts, applications = small_call
    staff = make_staff("CQ")
    client.force_login(staff)
    api_client.force_authenticate(staff)
    ai = [a.pk for a in applications if a.guide_task.field.code == "ai"]
    task = applications[1].guide_task

    by_field = api_client.get(api_url(call), {"field": "ai"}).json()
    by_task = api_client.get(api_url(call), {"task": task.code}).json()
    page = client.get(page_url(call, field="health"))

    assert sorted(row["application"]["id"] for row in by_field["results"]) == sorted(ai)
    assert [row["rank"] for row in by_field["results"]] == [1, 2]
    assert by_field["field"] == "ai"
    assert [row["application"]["id"] for row in by_task["results"]] == [applications[1].pk]
    assert by_task["results"][0]["rank"] == 1
    content = page.content.decode()
    assert reverse("applications:detail", args=[applications[1].pk]) in content
    assert reverse("applications:detail", args=[applications[0].pk]) not in content


def test_an_unknown_field_or_task_is_a_400_naming_the_parameter_and_the_allowed_values(
    api_client, small_call
):
    call, _experts, applications = small_call
    api_client.force_authenticate(make_staff("SC"))

    with translation.override("en"):
        field = api_client.get(api_url(call), {"field": "astrology"}, HTTP_ACCEPT_LANGUAGE="en")
        task = api_client.get(api_url(call), {"task": "NOPE"}, HTTP_ACCEPT_LANGUAGE="en")
        sort = api_client.get(api_url(call), {"sort": "password"}, HTTP_ACCEPT_LANGUAGE="en")

    assert field.status_code == 400
    [error] = field.json()["errors"]
    assert error["field"] == "field" and error["code"] == "unknown_field"
    assert "ai" in error["message"] and "health" in error["message"]
    assert task.status_code == 400
    [error] = task.json()["errors"]
    assert error["field"] == "task" and applications[0].guide_task.code in error["message"]
    assert sort.status_code == 400 and sort.json()["errors"][0]["field"] == "sort"


def test_the_page_drops_an_unknown_filter_with_a_note_instead_of_failing(client, small_call):
    call, _experts, applications = small_call
    client.force_login(make_staff("SC"))

    response = client.get(page_url(call, field="astrology", task="NOPE"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    content = response.content.decode()
    assert "There is no research field “astrology” in this call" in content
    assert "There is no guide task “NOPE” in this call" in content
    assert all(reverse("applications:detail", args=[a.pk]) in content for a in applications)


def test_sorting_by_a_whitelisted_column_and_an_unknown_sort_falls_back_to_the_rank(
    client, api_client, small_call
):
    call, _experts, _applications = small_call
    staff = make_staff("SC")
    client.force_login(staff)
    api_client.force_authenticate(staff)

    by_spread = api_client.get(api_url(call), {"sort": "-spread"}).json()
    by_rank = api_client.get(api_url(call)).json()
    bogus = client.get(page_url(call, sort="__class__"))
    sorted_page = client.get(page_url(call, sort="-mean"))

    spreads = [D(row["spread"]) for row in by_spread["results"]]
    assert spreads == sorted(spreads, reverse=True)
    assert by_spread["sort"] == "-spread"
    assert [row["rank"] for row in by_rank["results"]] == [1, 2, 3, 4]
    assert bogus.status_code == 200
    assert bogus.context["ranking"].sort == "rank"
    means = [item["row"].aggregate.mean for item in sorted_page.context["rows"]]
    assert means == sorted(means, reverse=True)
    # The current column's header links to the other direction.
    assert sorted_page.context["headers"]["mean"]["url"] == "?sort=mean"
    assert 'aria-sort="descending"' in sorted_page.content.decode()


# --- The page -----------------------------------------------------------------------------------


def test_the_page_carries_its_chart_data_and_loads_chart_js_from_our_static_files(client, small_call):
    call, experts, _applications = small_call
    client.force_login(make_staff("CQ"))

    response = client.get(page_url(call), HTTP_ACCEPT_LANGUAGE="en")

    content = response.content.decode()
    assert '<script id="ranking-data" type="application/json">' in content
    assert "/static/js/ranking-charts.js" in content
    assert "cdn" not in content.lower()
    charts = response.context["chart_data"]
    # Panels of five consecutive experts of the pool for four applications: the first eight.
    assert {expert["id"] for expert in charts["experts"]} == {e.pk for e in experts[:8]}
    assert sum(len(expert["totals"]) for expert in charts["experts"]) == 20
    assert sum(sum(series["counts"]) for series in charts["provinces"]["series"]) == 20
    # A text equivalent of each chart.
    assert "As a table" in content
    assert "table-wrap" in content


def test_the_chart_library_is_installed_from_npm_and_found_by_staticfiles():
    from django.contrib.staticfiles import finders

    from reviews.views.ranking import CHART_JS

    found = finders.find(CHART_JS)
    if found is None:
        pytest.skip("node_modules/chart.js is not installed (make runs npm ci)")
    assert "node_modules" in str(found)


# --- Queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("applications", [10, 250])
def test_page_and_api_read_a_fixed_number_of_queries(
    client, api_client, django_assert_max_num_queries, applications
):
    call, _experts, _made = build_call(applications, experts=20)
    staff = make_staff("SC")
    client.force_login(staff)
    api_client.force_authenticate(staff)

    with django_assert_max_num_queries(MAX_QUERIES):
        page = client.get(page_url(call))
    with django_assert_max_num_queries(MAX_QUERIES):
        api = api_client.get(api_url(call))

    assert page.status_code == 200
    assert len(page.context["rows"]) == applications
    assert api.json()["count"] == applications
    assert all(row["submitted"] == 5 for row in api.json()["results"])
