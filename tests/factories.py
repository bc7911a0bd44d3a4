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
