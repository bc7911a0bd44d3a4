"""Demo data of the 2021 joint call (DOMAIN.md): fields, the call, its 32 guide tasks, units of
both provinces and one demo login per role and province. ``manage.py seed_demo`` runs it.

The data are plain values in ``applications/demo_data.py``; the functions here write them with update-or-create on
natural keys (field code, call year + title, task code, USCC, email), so a second run finds
every row and changes nothing but the dates, which follow today so the call is always open.
All units and persons are fictional; their USCCs and ID numbers are built with the GB 32100
and GB 11643 check characters, so they pass the portal's validators.
Later issues add applications, reviews and awards as further small ``seed_*`` functions.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import demo_applications
from applications.demo_data import (
    ACCEPTANCE_DAYS_AFTER_ENDORSE,
    CALL,
    CALL_TIMEZONE,
    DEADLINE_HOUR,
    DEMO_PASSWORD,
    ENDORSE_DAYS_AFTER_SUBMIT,
    FIELDS,
    OPENED_DAYS_AGO,
    OPENING_HOUR,
    PEOPLE,
    PUBLICITY_DAYS_AFTER_REVIEW,
    REVIEW_DAYS,
    REVIEW_DAYS_AFTER_ACCEPTANCE,
    SUBMIT_IN_DAYS,
    TASKS,
    UNITS,
)
from applications.models import CallField, FundingCall, GuideTask, ResearchField
from applications.services import GUIDE_JOB, call_guide_request
from portal import pdf_environment
from portal.accounts.models import IdType, User
from portal.accounts.roles import Role
from portal.fields import validate_uscc
from portal.jobs.models import Job, JobStatus
from portal.organizations.models import Organization
from portal.validators import id_check_char, uscc_check_char


@dataclass(frozen=True)
class Person:
    email: str
    role: str
    full_name: str
    province: str
    unit: str
    born: date
    id_region: str
    id_sequence: int
    title: str
    degree: str


def people() -> list[Person]:
    return [Person(*row) for row in PEOPLE]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    province: str
    password: str


def uscc_of(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def id_number_of(person: Person) -> str:
    first17 = f"{person.id_region}{person.born:%Y%m%d}{person.id_sequence:03d}"
    return first17 + id_check_char(first17)


def task_code(prefix: str, number: int) -> str:
    return f"CY{CALL['year']}-{prefix}-{number:02d}"


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(p.email, str(p.role), p.province, DEMO_PASSWORD) for p in people()]


def demo_call() -> FundingCall:
    return FundingCall.objects.get(year=CALL["year"], title_zh=CALL["title_zh"])


def call_dates(today: date) -> dict[str, datetime | date]:
    """The calendar of the call relative to ``today``, deadlines at 17:00 Beijing time."""

    def at(day: date, hour: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, tzinfo=CALL_TIMEZONE)

    opens_at = at(today - timedelta(days=OPENED_DAYS_AGO), OPENING_HOUR)
    submit_deadline = at(today + timedelta(days=SUBMIT_IN_DAYS), DEADLINE_HOUR)
    endorse_deadline = submit_deadline + timedelta(days=ENDORSE_DAYS_AFTER_SUBMIT)
    acceptance_deadline = endorse_deadline + timedelta(days=ACCEPTANCE_DAYS_AFTER_ENDORSE)
    review_starts = acceptance_deadline.date() + timedelta(days=REVIEW_DAYS_AFTER_ACCEPTANCE)
    review_ends = review_starts + timedelta(days=REVIEW_DAYS)
    return {
        "opens_at": opens_at,
        "submit_deadline": submit_deadline,
        "endorse_deadline": endorse_deadline,
        "acceptance_deadline": acceptance_deadline,
        "review_starts": review_starts,
        "review_ends": review_ends,
        "publicity_starts": review_ends + timedelta(days=PUBLICITY_DAYS_AFTER_REVIEW),
    }


def seed_fields() -> dict[str, ResearchField]:
    fields = {}
    for position, (code, name_zh, name_en, _quota, _prefix) in enumerate(FIELDS, start=1):
        fields[code], _created = ResearchField.objects.update_or_create(
            code=code, defaults={"name_zh": name_zh, "name_en": name_en, "position": position}
        )
    return fields


def seed_call(today: date) -> FundingCall:
    values = {key: value for key, value in CALL.items() if key not in ("year", "title_zh")}
    call, _created = FundingCall.objects.update_or_create(
        year=CALL["year"], title_zh=CALL["title_zh"], defaults={**values, **call_dates(today)}
    )
    call.full_clean()
    return call


def seed_call_fields(call: FundingCall, fields: dict[str, ResearchField]) -> list[CallField]:
    return [
        CallField.objects.update_or_create(call=call, field=fields[code], defaults={"quota": quota})[0]
        for code, _zh, _en, quota, _prefix in FIELDS
    ]


def seed_tasks(call: FundingCall, fields: dict[str, ResearchField]) -> list[GuideTask]:
    tasks = []
    position = 0
    for code, _zh, _en, _quota, prefix in FIELDS:
        for number, (title_zh, title_en, description_zh, description_en, source) in enumerate(
            TASKS[code], start=1
        ):
            position += 1
            task, _created = GuideTask.objects.update_or_create(
                call=call,
                code=task_code(prefix, number),
                defaults={
                    "field": fields[code],
                    "title_zh": title_zh,
                    "title_en": title_en,
                    "description_zh": description_zh,
                    "description_en": description_en,
                    "demand_source": source,
                    "cap": None,
                    "quota": 1,
                    "position": position,
                },
            )
            tasks.append(task)
    return tasks


def seed_units() -> dict[str, Organization]:
    units = {}
    for key, name, name_en, org_type, registered, located, first17, address in UNITS:
        uscc = uscc_of(first17)
        # A typo in the table above should stop the seed, not produce a unit that forms refuse.
        validate_uscc(uscc)
        units[key], _created = Organization.objects.update_or_create(
            uscc=uscc,
            defaults={
                "name": name,
                "name_en": name_en,
                "org_type": org_type,
                "registered_province": registered,
                "located_province": located,
                "address": address,
                "uscc_override_reason": "",
                "uscc_override_by": None,
                "uscc_override_at": None,
            },
        )
    # The demo's units count as checked by the bureaus (verified once; later runs keep the time).
    Organization.objects.filter(pk__in=[u.pk for u in units.values()], verified_at__isnull=True).update(
        verified_at=timezone.now()
    )
    return units


def seed_users(units: dict[str, Organization]) -> list[User]:
    users = []
    for person in people():
        user = User.objects.filter(email=person.email).first() or User(email=person.email)
        user.full_name = person.full_name
        user.role = person.role
        # Only bureau staff carry a province on the account (see User.province).
        user.province = person.province if person.role == Role.BUREAU_STAFF else ""
        user.organization = units[person.unit] if person.unit else None
        user.id_type = IdType.RESIDENT_ID
        user.id_number = id_number_of(person)
        user.birth_date = person.born
        user.title = person.title
        user.degree = person.degree
        user.is_active = True
        user.is_staff = user.is_superuser = person.role == Role.ADMIN
        # Hashing is slow on purpose: only set the password when it is not the published one.
        if user.pk is None or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.full_clean()
        user.save()
        users.append(user)
    return users


def guide_needs_printing(call: FundingCall) -> bool:
    """Print the guide once; again only when the last try failed. Not at all on a machine that
    cannot print Chinese: the demo works without the PDF, and check_pdf says what to install."""
    if pdf_environment.problems():
        return False
    last = Job.objects.filter(kind=GUIDE_JOB, object_id=str(call.pk)).order_by("-pk").first()
    return last is None or last.status == JobStatus.FAILED


def seed(stdout: TextIO, *, applications: bool = True) -> FundingCall:
    """Write the 2021 call and its people; returns the call. Safe to run again."""
    today = timezone.now().astimezone(CALL_TIMEZONE).date()
    with transaction.atomic():
        fields = seed_fields()
        call = seed_call(today)
        seed_call_fields(call, fields)
        tasks = seed_tasks(call, fields)
        units = seed_units()
        users = seed_users(units)
        if guide_needs_printing(call):
            # Printed after commit: in-process without a broker, by a worker with one.
            call_guide_request(call=call)
    stdout.write(
        _("Call: %(title)s — %(fields)d fields, %(tasks)d guide tasks.")
        % {"title": call.title, "fields": len(fields), "tasks": len(tasks)}
        + "\n"
    )
    stdout.write(_("Units: %(units)d; users: %(users)d.") % {"units": len(units), "users": len(users)} + "\n")
    if applications:
        demo_applications.seed_applications(stdout)
    return call
