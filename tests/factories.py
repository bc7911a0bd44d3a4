"""factory_boy factories for the portal's models. Valid USCCs and ID numbers are built with
the pure check-character functions, so every factory row passes validation."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from applications.models import CallField, CallStatus, FundingCall, GuideTask, ResearchField
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.organizations.models import Organization, OrganizationType
from portal.validators import id_check_char, uscc_check_char


def make_uscc(serial: int, region: str = "500000") -> str:
    first17 = f"12{region}{serial:09d}"
    return first17 + uscc_check_char(first17)


def make_id_number(serial: int, born: date = date(1980, 5, 17), region: str = "510104") -> str:
    first17 = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试单位{n}")
    name_en = factory.Sequence(lambda n: f"Test unit {n}")
    uscc = factory.Sequence(lambda n: make_uscc(n + 1, "500000"))
    org_type = OrganizationType.UNIVERSITY
    verified_at = factory.LazyFunction(timezone.now)
    registered_province = "CQ"
    located_province = "CQ"

    class Params:
        sichuan = factory.Trait(
            registered_province="SC",
            located_province="SC",
            uscc=factory.Sequence(lambda n: make_uscc(n + 1, "510000")),
        )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.APPLICANT
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ResearchFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResearchField
        django_get_or_create = ("code",)

    code = factory.Iterator(["ai", "health", "eco", "agri"])
    name_zh = factory.LazyAttribute(
        lambda o: {"ai": "人工智能", "health": "大健康", "eco": "生态环保", "agri": "现代农业"}[o.code]
    )
    name_en = factory.LazyAttribute(
        lambda o: {
            "ai": "Artificial intelligence",
            "health": "Healthcare",
            "eco": "Eco-environmental protection",
            "agri": "Modern agriculture",
        }[o.code]
    )


class FundingCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingCall

    year = 2021
    title_zh = "2021年川渝联合实施重点研发项目"
    title_en = "2021 Sichuan–Chongqing joint key R&D call"
    status = CallStatus.OPEN
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    submit_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
    endorse_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=27))
    budget_sc = Decimal("20000000.00")
    budget_cq = Decimal("20000000.00")
    per_project_cap = Decimal("2000000.00")


class CallFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallField

    call = factory.SubFactory(FundingCallFactory)
    field = factory.SubFactory(ResearchFieldFactory)
    quota = 2


class GuideTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuideTask

    call = factory.SubFactory(FundingCallFactory)
    field = factory.SubFactory(ResearchFieldFactory)
    code = factory.Sequence(lambda n: f"T{n + 1:02d}")
    title_zh = factory.Sequence(lambda n: f"指南任务{n + 1}")
    title_en = factory.Sequence(lambda n: f"Guide task {n + 1}")


# --- Applications -------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(name: str = "proposal.pdf", content: bytes = PDF_BYTES):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_applicant(unit: Organization | None = None, serial: int | None = None, **extra) -> User:
    """An applicant of ``unit`` (a Chongqing unit by default) with a valid ID number."""
    unit = unit or OrganizationFactory()
    user = UserFactory(organization=unit, **extra)
    user.id_number = make_id_number(serial if serial is not None else user.pk)
    user.birth_date = date(1980, 5, 17)
    user.title = "教授"
    user.save()
    return user


def complete_document(application, partner: Organization) -> dict:
    """Every section filled in so that the rules pass (with the PI already on the team)."""
    lead = application.lead_unit
    own, other = ("sc_gov", "cq_gov") if application.province == "SC" else ("cq_gov", "sc_gov")
    pi = application.team.get(role="pi")
    return {
        "guide_task": GuideTaskFactory(call=application.call).pk
        if application.guide_task is None
        else application.guide_task.pk,
        "title": "面向川渝的智能诊断系统研究",
        "start_date": "2022-01-01",
        "duration_months": 36,
        "abstract": "摘要",
        "aims": "目标与现状",
        "technical_route": "技术路线",
        "foundation": "研究基础",
        "partners": [{"organization": partner.pk}],
        "team": [
            {
                "name": pi.name,
                "id_type": pi.id_type,
                "id_number": pi.id_number,
                "unit": lead.name,
                "title": "教授",
                "role": "pi",
                "time_percent": 50,
            },
            {
                "name": "合作者",
                # Another birth date than make_applicant's: PostgreSQL's ids grow across tests, and
                # a PI whose serial hit the same number would be listed twice.
                "id_number": make_id_number(900 + application.pk % 90, born=date(1985, 3, 9)),
                "unit": partner.name,
                "title": "副教授",
                "role": "core",
                "time_percent": 30,
            },
        ],
        "indicators": [
            {"kind": "technical", "metric": "诊断准确率", "target": "95", "unit": "%", "due_month": 24},
            {"kind": "economic", "metric": "新增产值", "target": "500", "unit": "万元", "due_month": 36},
        ],
        "milestones": [
            {"from_month": 1, "to_month": 12, "content": "数据采集"},
            {"from_month": 13, "to_month": 36, "content": "系统研制"},
        ],
        "budget": [
            {"unit_uscc": lead.uscc, "category": "equipment", "source": own, "amount": "500000"},
            {"unit_uscc": lead.uscc, "category": "operating", "source": own, "amount": "300000"},
            {"unit_uscc": lead.uscc, "category": "indirect", "source": own, "amount": "100000"},
            {"unit_uscc": lead.uscc, "category": "operating", "source": "self", "amount": "400000"},
            {"unit_uscc": partner.uscc, "category": "labour", "source": other, "amount": "200000"},
        ],
    }


def make_ready_application(pi: User | None = None, call=None, partner: Organization | None = None):
    """A draft that passes every rule of submission: joint team, budget, attachments, commitment."""
    from applications.services import (
        application_commit,
        application_create,
        application_save,
        attachment_upload,
    )

    call = call or FundingCallFactory()
    pi = pi or make_applicant()
    partner = partner or OrganizationFactory(sichuan=True)
    task = GuideTaskFactory(call=call)
    application = application_create(call=call, by=pi, guide_task=task)
    result = application_save(
        application=application,
        data=complete_document(application, partner),
        version=application.version,
        by=pi,
    )
    assert not result.errors, result.errors
    application = result.application
    for kind in ("proposal", "pi_commitment", "unit_commitment", "agreement"):
        attachment_upload(
            application=application,
            kind=kind,
            upload=pdf_upload(f"{kind}.pdf"),
            by=pi,
            version=application.version,
        )
        application.refresh_from_db()
    application = application_commit(application=application, by=pi, version=application.version)
    application.refresh_from_db()
    return application
