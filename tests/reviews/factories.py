"""Factories of the review: experts of the pool, endorsed and accepted applications, the rubric.

``make_endorsed_application`` goes through the real services (submit, endorse), for the
formal check. ``make_accepted_application`` writes rows directly — an accepted application
with its lead unit, one partner of the other province, and its project leader on the team —
for tests of assignment, reviewing and ranking, where hundreds are needed quickly.
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from applications.models import Application, ApplicationStatus, Partner, TeamMember
from portal.accounts.roles import Role
from reviews.models import ReviewerProfile
from reviews.services.rubric import criteria_copy_default
from tests.factories import (
    FundingCallFactory,
    GuideTaskFactory,
    OrganizationFactory,
    ResearchFieldFactory,
    UserFactory,
    make_applicant,
    make_ready_application,
)


class ReviewerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewerProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=Role.REVIEWER)
    province = "CQ"
    organization = factory.LazyAttribute(
        lambda o: OrganizationFactory(sichuan=True) if o.province == "SC" else OrganizationFactory()
    )
    title = "教授"
    max_load = 10

    @factory.post_generation
    def field_codes(obj, create, extracted, **kwargs):
        """``field_codes=["ai", "health"]``: the expert's fields (default: ai)."""
        if create:
            obj.fields.set([ResearchFieldFactory(code=code) for code in (extracted or ["ai"])])


def make_expert(province: str = "CQ", fields: tuple[str, ...] = ("ai",), **extra) -> ReviewerProfile:
    return ReviewerProfileFactory(province=province, field_codes=list(fields), **extra)


def make_staff(province: str = "CQ", **extra):
    return UserFactory(role=Role.BUREAU_STAFF, province=province, **extra)


def make_call_with_rubric(**extra):
    call = FundingCallFactory(**extra)
    criteria_copy_default(call=call, by=None)
    return call


def make_endorsed_application(call=None, province: str = "CQ"):
    """A real application, submitted by its leader and endorsed by its lead unit's administrator,
    waiting for the formal check of the bureau of ``province``."""
    from applications.services import application_move, application_submit

    call = call or FundingCallFactory()
    if province == "SC":
        lead, partner = OrganizationFactory(sichuan=True), OrganizationFactory()
    else:
        lead, partner = OrganizationFactory(), OrganizationFactory(sichuan=True)
    pi = make_applicant(unit=lead)
    application = make_ready_application(pi=pi, call=call, partner=partner)
    application = application_submit(application=application, by=pi)
    unit_admin = UserFactory(role=Role.UNIT_ADMIN, organization=lead)
    application = application_move(application=application, action="endorse", by=unit_admin)
    application.refresh_from_db()
    return application


def make_accepted_application(
    call=None,
    *,
    field: str = "ai",
    province: str = "CQ",
    lead=None,
    partner=None,
    status: str = ApplicationStatus.ACCEPTED,
    title: str | None = None,
) -> Application:
    """An accepted application written directly: lead unit of ``province``, one partner of the
    other province, the project leader on the team."""
    call = call or FundingCallFactory()
    task = GuideTaskFactory(call=call, field=ResearchFieldFactory(code=field))
    sichuan = province == "SC"
    lead = lead or OrganizationFactory(sichuan=sichuan)
    partner = partner or OrganizationFactory(sichuan=not sichuan)
    pi = make_applicant(unit=lead)
    submitted = timezone.now() - timedelta(days=5)
    application = Application.objects.create(
        call=call,
        guide_task=task,
        province=province,
        title=title or f"{task.title_zh}的联合研究",
        lead_unit=lead,
        pi=pi,
        status=status,
        submitted_at=submitted,
        submission_count=1,
        duration_months=36,
    )
    Partner.objects.create(
        application=application,
        position=1,
        organization=partner,
        name=partner.name,
        uscc=partner.uscc,
        province=partner.located_province,
    )
    TeamMember.objects.create(
        application=application,
        position=1,
        user=pi,
        name=pi.full_name,
        id_number=pi.id_number,
        birth_date=pi.birth_date,
        unit_name=lead.name,
        title="教授",
        role="pi",
        time_percent=50,
    )
    return application


DEFAULT_POINTS = {
    "innovation": Decimal("16"),
    "feasibility": Decimal("15"),
    "foundation": Decimal("12"),
    "cooperation": Decimal("12"),
    "results": Decimal("15"),
    "budget": Decimal("8"),
}
