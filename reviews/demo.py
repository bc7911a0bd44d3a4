"""Demo data of the reviews app for the 2021 call: its score rubric, an expert pool of both
provinces across the four fields, the panels drawn by the solver, and the experts' reviews,
so that the ranking has content. ``manage.py seed_demo`` runs it after ``applications.demo``.

Everything after the rubric goes through the services a person would use: the pool through
the CSV import (as the administrator), the panels through an assignment run with a fixed seed,
the reviews through the declaration and the score sheet of each expert. Safe to run again:
the import finds every expert unchanged, a run happens only while accepted applications wait
for a panel, and a review already submitted is left alone.

The two demo expert logins keep their assignments unscored, so whoever signs in as them has
declarations and score sheets to fill in; one review in eleven of the others stays open too,
so the progress page shows work in flight.
"""

import csv
import io
import zlib
from decimal import ROUND_HALF_UP, Decimal
from typing import TextIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import demo as applications_demo
from applications import notifications
from applications.demo_applications import all_units
from applications.demo_data import DEMO_PASSWORD, FIELDS
from applications.models import Application, ApplicationStatus, FundingCall
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.fields import validate_uscc
from portal.organizations.models import Organization
from reviews.demo_data import (
    DEMO_EXPERT_LOAD,
    DEMO_EXPERTS,
    EXPERT_UNIT_KEYS,
    EXPERT_UNITS,
    GIVEN,
    MAX_LOAD,
    PER_FIELD,
    SURNAMES,
    TITLES,
)
from reviews.models import (
    LIVE_STATUSES,
    Assignment,
    AssignmentStatus,
    Criterion,
    Recommendation,
    ReviewerProfile,
    ReviewStatus,
)
from reviews.services.assignments import assignment_run_start
from reviews.services.pool import reviewers_import
from reviews.services.reviewing import assignment_declare, review_save
from reviews.services.rubric import criteria_copy_default

# The seed of the demo's draw, so that every fresh demo has the same panels.
DEMO_SEED = 2021
# One review in this many stays unsubmitted (besides the demo logins' ones).
OPEN_EVERY = 11


def seed_rubric(call: FundingCall) -> list[Criterion]:
    # No actor: the demo is loaded by a command, not by a person.
    return criteria_copy_default(call=call, by=None)


# --- The pool ---------------------------------------------------------------------------------


def expert_rows() -> list[dict[str, str]]:
    """The demo experts as rows of the import file: per province and field ``PER_FIELD``
    experts (every third with a second field), then the two demo expert logins."""
    units = {row[0]: row for row in (*all_units(), *EXPERT_UNITS)}
    field_codes = [row[0] for row in FIELDS]
    rows, names, n = [], set(), 0
    for province in ("CQ", "SC"):
        for f, field in enumerate(field_codes):
            for i in range(PER_FIELD):
                n += 1
                name = SURNAMES[(n * 7) % len(SURNAMES)] + GIVEN[(n * 11 + f) % len(GIVEN)]
                while name in names:
                    name = SURNAMES[(n * 13 + len(names)) % len(SURNAMES)] + name[1:]
                names.add(name)
                key = EXPERT_UNIT_KEYS[province][(i + f) % len(EXPERT_UNIT_KEYS[province])]
                fields = [field] + ([field_codes[(f + 1) % 4]] if i % 3 == 2 else [])
                rows.append(
                    _row(
                        f"expert.{province.lower()}{n:02d}@demo.test",
                        name,
                        province,
                        units[key],
                        fields,
                        TITLES[i % len(TITLES)],
                        MAX_LOAD,
                    )
                )
    people = {person.email: person for person in applications_demo.people()}
    for email, fields in DEMO_EXPERTS.items():
        person = people[email]
        rows.append(
            _row(
                email,
                person.full_name,
                person.province,
                units[person.unit],
                list(fields),
                person.title,
                DEMO_EXPERT_LOAD,
            )
        )
    return rows


def _row(
    email: str, name: str, province: str, unit: tuple, fields: list[str], title: str, load: int
) -> dict[str, str]:
    return {
        "email": email,
        "full_name": name,
        "province": province,
        "unit_name": unit[1],
        "unit_uscc": applications_demo.uscc_of(unit[6]),
        "fields": ",".join(fields),
        "title": title,
        "max_load": str(load),
    }


def pool_file(rows: list[dict[str, str]]) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("demo-experts.csv", out.getvalue().encode("utf-8-sig"), content_type="text/csv")


def seed_expert_units() -> None:
    """The units the experts come from, with their types and English names (the import would
    register an unknown one as "other"); verified once, as the bureaus' own demo units."""
    wanted = {key for keys in EXPERT_UNIT_KEYS.values() for key in keys}
    usccs = []
    for key, name, name_en, org_type, registered, located, first17, address in (*all_units(), *EXPERT_UNITS):
        if key not in wanted:
            continue
        uscc = applications_demo.uscc_of(first17)
        validate_uscc(uscc)
        usccs.append(uscc)
        Organization.objects.update_or_create(
            uscc=uscc,
            defaults={
                "name": name,
                "name_en": name_en,
                "org_type": org_type,
                "registered_province": registered,
                "located_province": located,
                "address": address,
            },
        )
    Organization.objects.filter(uscc__in=usccs, verified_at__isnull=True).update(verified_at=timezone.now())


def seed_expert_accounts(rows: list[dict[str, str]]) -> None:
    """The experts' accounts, with the demo password, before the import: the import then only
    writes their profiles and sends no invitation (whoever tries the demo signs in as any)."""
    existing = set(
        User.objects.filter(email__in=[row["email"] for row in rows]).values_list("email", flat=True)
    )
    new = []
    for row in rows:
        if row["email"] in existing:
            continue
        user = User(email=row["email"], full_name=row["full_name"], role=Role.REVIEWER, title=row["title"])
        user.set_password(DEMO_PASSWORD)
        new.append(user)
    User.objects.bulk_create(new)


def seed_pool(admin: User) -> tuple[int, int]:
    rows = expert_rows()
    if ReviewerProfile.objects.filter(user__email__in=[row["email"] for row in rows]).count() == len(rows):
        # Imported by an earlier run: importing again would change nothing but the audit trail.
        return len(rows), 0
    seed_expert_units()
    seed_expert_accounts(rows)
    result = reviewers_import(upload=pool_file(rows), by=admin)
    if result.errors:
        raise RuntimeError(f"demo pool refused: {result.errors}")
    return len(rows), result.created


# --- Panels and reviews -----------------------------------------------------------------------


def seed_panels(call: FundingCall) -> int:
    """Draw the panels of the accepted applications that have none yet; the number of pairs."""
    if not Application.objects.filter(call=call, status=ApplicationStatus.ACCEPTED).exists():
        return 0
    run = assignment_run_start(call=call, by=None, seed=DEMO_SEED, wait=True)
    return run.assigned


def _unit(value: str) -> float:
    """A fixed number in [0, 1) drawn from ``value``: the same on every machine and run."""
    return (zlib.crc32(value.encode()) % 10_000) / 10_000


def sheet_for(assignment: Assignment, criteria: list[Criterion]) -> tuple[dict[str, Decimal], str, str]:
    """The demo expert's points, overall comment and recommendation for ``assignment``: a
    quality per application, a harsh or lenient streak per expert, a little noise per pair."""
    quality = 0.55 + 0.4 * _unit(f"application:{assignment.application.title}")
    streak = (_unit(f"expert:{assignment.reviewer.user.email}") - 0.5) * 0.16
    points = {}
    for criterion in criteria:
        noise = (_unit(f"{assignment.application_id}:{assignment.reviewer_id}:{criterion.code}") - 0.5) * 0.14
        share = min(1.0, max(0.2, quality + streak + noise))
        points[criterion.code] = (criterion.max_points * Decimal(str(share))).quantize(
            Decimal("0.5"), rounding=ROUND_HALF_UP
        )
    total = sum(points.values())
    if total >= 80:
        return points, "创新性突出，技术路线清晰，川渝双方分工合理，建议资助。", Recommendation.FUND
    if total >= 65:
        return (
            points,
            "研究基础较好，但考核指标需进一步量化，经费预算需细化，建议修改后资助。",
            Recommendation.FUND_WITH_CHANGES,
        )
    return points, "创新性不足，技术路线可行性论证不充分，不建议资助。", Recommendation.DO_NOT_FUND


def review_as_demo_expert(assignment: Assignment, criteria: list[Criterion]) -> None:
    """The assigned expert declares no conflict (unless done) and submits the demo's sheet."""
    expert = assignment.reviewer.user
    if assignment.status == AssignmentStatus.ASSIGNED:
        assignment = assignment_declare(assignment=assignment, by=expert, no_conflict=True)
    points, comment, recommendation = sheet_for(assignment, criteria)
    review_save(
        assignment=assignment,
        by=expert,
        points=points,
        comments={},
        comment=comment,
        recommendation=recommendation,
        submit=True,
    )


def seed_reviews(call: FundingCall) -> int:
    """Every assignment of the call, declared and scored by its expert; the number submitted now."""
    criteria = list(Criterion.objects.filter(call=call).order_by("position"))
    assignments = (
        Assignment.objects.filter(application__call=call, status__in=LIVE_STATUSES)
        .exclude(reviewer__user__email__in=DEMO_EXPERTS)
        .exclude(review__status=ReviewStatus.SUBMITTED)
        .select_related("application", "reviewer__user")
        .order_by("pk")
    )
    submitted = 0
    for assignment in assignments:
        if assignment.pk % OPEN_EVERY == 0:
            continue
        review_as_demo_expert(assignment, criteria)
        submitted += 1
    return submitted


def seed(stdout: TextIO) -> None:
    with transaction.atomic():
        call = applications_demo.demo_call()
        criteria = seed_rubric(call)
    total = format(sum(criterion.weight for criterion in criteria).normalize(), "f")
    stdout.write(
        _("Score rubric: %(count)d criteria, %(total)s points.") % {"count": len(criteria), "total": total}
        + "\n"
    )
    admin = User.objects.filter(role=Role.ADMIN, email="admin@demo.test").first()
    if admin is None:
        return
    # The applicants learn from the pages that their application is under review: no emails
    # for the demo's hundreds of moves.
    with notifications.muted(), transaction.atomic():
        experts, created = seed_pool(admin)
        pairs = seed_panels(call)
        submitted = seed_reviews(call)
    stdout.write(
        _(
            "Experts: %(experts)d (%(created)d new); experts assigned now: %(pairs)d; reviews submitted now: %(submitted)d."
        )
        % {"experts": experts, "created": created, "pairs": pairs, "submitted": submitted}
        + "\n"
    )
