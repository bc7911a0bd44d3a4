"""The review in the admin: every model's list and row open in both languages; the expert pool
is edited there (audited, accounts of experts only); formal checks, conflicts, runs,
assignments and reviews are read-only, since only their services change them."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from reviews.models import (
    Assignment,
    AssignmentRun,
    AssignmentSource,
    Conflict,
    ConflictSource,
    Criterion,
    FormalCheck,
    FormalDecision,
    Review,
    ReviewerProfile,
    ReviewStatus,
    Score,
)
from tests.factories import OrganizationFactory, ResearchFieldFactory, UserFactory
from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")
MODELS = (
    "reviews_criterion",
    "reviews_reviewerprofile",
    "reviews_formalcheck",
    "reviews_conflict",
    "reviews_assignmentrun",
    "reviews_assignment",
    "reviews_review",
)
READ_ONLY = (
    "reviews_formalcheck",
    "reviews_conflict",
    "reviews_assignmentrun",
    "reviews_assignment",
    "reviews_review",
)


@pytest.fixture
def admin_user():
    return User.objects.create_superuser(email="admin@demo.test", password="demo-pass-2021", full_name="赵磊")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def rows(admin_user):
    call = make_call_with_rubric()
    application = make_accepted_application(call, province="CQ")
    expert = make_expert("SC", fields=("ai",))
    run = AssignmentRun.objects.create(
        call=call,
        seed=42,
        experts_per_application=5,
        min_per_province=2,
        status="done",
        created_by=admin_user,
    )
    assignment = Assignment.objects.create(
        application=application, reviewer=expert, source=AssignmentSource.SOLVER, run=run, status="declared"
    )
    review = Review.objects.create(
        assignment=assignment,
        status=ReviewStatus.SUBMITTED,
        total=Decimal("78.50"),
        submitted_at=timezone.now(),
    )
    criterion = Criterion.objects.filter(call=call).order_by("position").first()
    Score.objects.create(review=review, criterion=criterion, points=Decimal("16"), comment="创新性较强")
    conflict = Conflict.objects.create(
        application=application, reviewer=make_expert("CQ"), source=ConflictSource.STAFF, reason="同一课题组"
    )
    formal = FormalCheck.objects.create(
        application=application,
        decision=FormalDecision.ACCEPT,
        checklist=[{"rule": "province", "passed": True, "details": []}],
        decided_by=admin_user,
    )
    return {
        "reviews_criterion": criterion,
        "reviews_reviewerprofile": expert,
        "reviews_formalcheck": formal,
        "reviews_conflict": conflict,
        "reviews_assignmentrun": run,
        "reviews_assignment": assignment,
        "reviews_review": review,
    }


def in_language(client, language: str):
    client.cookies["portal_language"] = language
    return client


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("model", MODELS)
def test_the_administrator_opens_the_list_of_each_review_model(admin_client, rows, model, language):
    response = in_language(admin_client, language).get(reverse(f"admin:{model}_changelist"))

    assert response.status_code == 200
    assert f'lang="{language}"' in response.text
    assert f"/{rows[model].pk}/change/" in response.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("model", MODELS)
def test_the_administrator_opens_the_page_of_each_row(admin_client, rows, model, language):
    response = in_language(admin_client, language).get(
        reverse(f"admin:{model}_change", args=[rows[model].pk])
    )

    assert response.status_code == 200


def test_a_review_shows_its_scores(admin_client, rows):
    response = admin_client.get(reverse("admin:reviews_review_change", args=[rows["reviews_review"].pk]))

    assert "创新性较强" in response.text


@pytest.mark.parametrize("model", READ_ONLY)
def test_rows_written_by_services_cannot_be_added_changed_or_deleted(admin_client, rows, model):
    obj = rows[model]

    assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 403
    assert admin_client.get(reverse(f"admin:{model}_delete", args=[obj.pk])).status_code == 403
    response = admin_client.post(reverse(f"admin:{model}_change", args=[obj.pk]), {})
    assert response.status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_the_administrator_adds_an_expert_and_it_is_audited(admin_client):
    account = UserFactory(role=Role.REVIEWER)
    unit = OrganizationFactory()
    field = ResearchFieldFactory(code="eco")

    assert admin_client.get(reverse("admin:reviews_reviewerprofile_add")).status_code == 200
    response = admin_client.post(
        reverse("admin:reviews_reviewerprofile_add"),
        {
            "user": account.pk,
            "province": "CQ",
            "organization": unit.pk,
            "fields": [field.pk],
            "title": "研究员",
            "max_load": 6,
            "active": "on",
        },
    )

    assert response.status_code == 302
    profile = ReviewerProfile.objects.get(user=account)
    assert (profile.max_load, list(profile.fields.values_list("code", flat=True))) == (6, ["eco"])
    assert AuditEvent.objects.filter(action="reviewer.create", object_id=str(profile.pk)).exists()


def test_only_expert_accounts_can_hold_a_profile(admin_client):
    applicant = UserFactory(role=Role.APPLICANT)

    response = admin_client.post(
        reverse("admin:reviews_reviewerprofile_add"),
        {
            "user": applicant.pk,
            "province": "CQ",
            "organization": OrganizationFactory().pk,
            "fields": [ResearchFieldFactory(code="ai").pk],
            "max_load": 6,
        },
    )

    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    assert not ReviewerProfile.objects.exists()


def test_a_maximum_load_of_zero_is_refused_with_the_rule(admin_client, rows):
    expert = rows["reviews_reviewerprofile"]
    url = reverse("admin:reviews_reviewerprofile_change", args=[expert.pk])

    response = in_language(admin_client, "en").post(
        url,
        {
            "user": expert.user_id,
            "province": expert.province,
            "organization": expert.organization_id,
            "fields": list(expert.fields.values_list("pk", flat=True)),
            "max_load": 0,
        },
    )

    assert response.status_code == 200
    assert "greater than or equal to 1" in response.text
    expert.refresh_from_db()
    assert expert.max_load == 10


def test_a_criterion_is_read_only_in_the_admin_once_experts_scored_against_it(client):
    from reviews.models import Assignment, Criterion, Review, Score
    from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert

    call = make_call_with_rubric()
    criterion = Criterion.objects.get(call=call, code="innovation")
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/reviews/criterion/{criterion.pk}/change/"
    assert 'name="weight"' in client.get(url).content.decode()

    application = make_accepted_application(call, status="under_review")
    assignment = Assignment.objects.create(
        application=application, reviewer=make_expert("SC"), source="manual"
    )
    review = Review.objects.create(assignment=assignment)
    Score.objects.create(review=review, criterion=criterion, points=15)

    page = client.get(url).content.decode()
    assert 'name="weight"' not in page
    client.post(
        url,
        {
            "call": call.pk,
            "code": "innovation",
            "name_zh": "x",
            "name_en": "x",
            "weight": "50",
            "max_points": "50",
            "position": 1,
        },
    )
    criterion.refresh_from_db()
    assert criterion.weight == 20
