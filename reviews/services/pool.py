"""Writes on the expert pool: importing experts from a spreadsheet, inviting them to choose a
password, switching them on and off.

An import is all or nothing: every row is checked first (``reviews.pool_import`` for the cells,
this module for what needs the database) and a file with any bad row changes nothing and
reports one error per bad row. A good file registers the experts' units it does not know yet,
creates or updates the experts' accounts (role reviewer) and profiles, in one transaction, and
queues an invitation with a set-password link for each new account; the emails leave after
commit. Importing the same file again changes nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import ResearchField
from portal.accounts.models import IdType, User
from portal.accounts.roles import Role
from portal.audit.services import audit_record
from portal.mail.services import email_queue
from portal.organizations.models import Organization, OrganizationType
from portal.organizations.services import organization_create
from portal.validators import id_birth_date, normalize_uscc
from reviews.models import ReviewerProfile
from reviews.permissions import require_review_staff
from reviews.pool_import import (
    ExpertRow,
    FieldInfo,
    ImportFileError,
    Problem,
    RowError,
    RowNote,
    Sheet,
    check_rows,
    read_table,
)

# SQLite allows 32,766 parameters in a query; PostgreSQL many more. Lists of codes are cut.
CHUNK = 900

ACCOUNT_TAKEN = {
    Role.APPLICANT: gettext_lazy("belongs to an applicant account"),
    Role.UNIT_ADMIN: gettext_lazy("belongs to the account of a unit administrator"),
    Role.BUREAU_STAFF: gettext_lazy("belongs to the account of bureau staff"),
    Role.ADMIN: gettext_lazy("belongs to an administrator account"),
}


@dataclass(frozen=True)
class ImportResult:
    """What an import did, or (with ``errors``) why it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    rows: int = 0
    errors: tuple[RowError, ...] = ()
    notes: tuple[RowNote, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    # (column code, header as written in the file), to name columns as the user wrote them.
    columns: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class PoolError(Exception):
    """A refused change of the pool; ``message`` is shown to the user."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class _Refused(Exception):
    """Raised inside the transaction to roll it back with row errors found only while writing."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("refused")
        self.errors = errors


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    values = sorted(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _research_fields() -> list[FieldInfo]:
    return [
        FieldInfo(code, name_zh, name_en)
        for code, name_zh, name_en in ResearchField.objects.order_by("position", "code").values_list(
            "code", "name_zh", "name_en"
        )
    ]


def _units_by_uscc(codes: set[str]) -> dict[str, Organization]:
    units: dict[str, Organization] = {}
    for chunk in _chunks(codes):
        units.update({unit.uscc: unit for unit in Organization.objects.filter(uscc__in=chunk)})
    return units


def _users_by_email(emails: set[str]) -> dict[str, User]:
    users: dict[str, User] = {}
    for chunk in _chunks(emails):
        found = (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .select_related("reviewer_profile")
        )
        users.update({user.email_lower: user for user in found})
    return users


def _check_accounts(sheet: Sheet, users: dict[str, User]) -> None:
    """An address of another role's account is refused: an expert signs in as an expert, and
    turning an applicant into a reviewer would take away their applications' pages."""
    for row in sheet.rows:
        user = users.get(row.email)
        if user is None or user.role == Role.REVIEWER or not sheet.field_is_valid(row.row, "email"):
            continue
        sheet.add(
            row.row,
            "email",
            "account_taken",
            _(
                "The address %(email)s %(taken)s; an expert needs an expert account with an address of their own."
            )
            % {"email": row.email, "taken": ACCOUNT_TAKEN.get(user.role, ACCOUNT_TAKEN[Role.APPLICANT])},
        )


def _note_registered_names(sheet: Sheet, units: dict[str, Organization]) -> None:
    for row in sheet.rows:
        unit = units.get(row.unit_uscc)
        if unit is not None and row.unit_name and row.unit_name not in (unit.name, unit.name_en):
            sheet.note(
                row.row,
                "unit_name",
                _("The unit with code %(uscc)s is registered as “%(name)s”; the registered name is kept.")
                % {"uscc": unit.uscc, "name": unit.name},
            )


def reviewers_import(*, upload: Any, by: User) -> ImportResult:
    """Import the experts listed in ``upload`` (CSV or XLSX), or nothing when a row is bad.

    Raises ``ImportFileError`` when the file as a whole cannot be read (format, size, missing
    columns, too many rows) and ``PermissionDenied`` for anyone but review staff; otherwise the
    result counts what was done or lists the errors, one per bad row.
    """
    require_review_staff(by)
    table = read_table(upload)
    fields = _research_fields()
    codes = {normalize_uscc(cells.get("unit_uscc", "")) for _row, cells in table.rows} - {""}
    units = _units_by_uscc(codes)
    sheet = check_rows(table, fields=fields, registered_usccs=units.keys())
    users = _users_by_email({row.email for row in sheet.rows if row.email})
    _check_accounts(sheet, users)
    _note_registered_names(sheet, units)
    result = ImportResult(
        rows=len(sheet.rows),
        notes=tuple(sorted(sheet.notes, key=lambda n: n.row)),
        ignored_columns=table.ignored_columns,
        columns=tuple(table.columns.items()),
    )
    if sheet.problems:
        return _with(result, errors=tuple(sheet.errors))
    try:
        with transaction.atomic():
            counts = _write(sheet.rows, units=units, users=users, fields=fields, by=by)
            audit_record(
                actor=by,
                action="reviewer.import",
                obj=by,
                data={"file": str(getattr(upload, "name", ""))[:200], "rows": len(sheet.rows), **counts},
            )
    except _Refused as refused:
        return _with(result, errors=tuple(refused.errors))
    except IntegrityError as error:
        # Another import or a registration took one of the addresses or codes in the meantime.
        raise ImportFileError(
            _(
                "Someone changed the pool or the units while the file was imported; nothing was imported. Upload it again."
            ),
            "conflict",
        ) from error
    return _with(result, **counts)


def _with(result: ImportResult, **changes: Any) -> ImportResult:
    return ImportResult(**{**result.__dict__, **changes})


def _write(
    rows: list[ExpertRow],
    *,
    units: dict[str, Organization],
    users: dict[str, User],
    fields: list[FieldInfo],
    by: User,
) -> dict[str, int]:
    units_created = _create_units(rows, units=units, by=by)
    new_users, user_changes = _save_users(rows, users=users)
    field_ids = dict(
        ResearchField.objects.filter(code__in=[f.code for f in fields]).values_list("code", "pk")
    )
    Through = ReviewerProfile.fields.through
    existing = {
        profile.user_id: profile
        for profile in ReviewerProfile.objects.filter(
            user__in=[user.pk for user in users.values()]
        ).select_related("organization")
    }
    codes_of: dict[int, set[str]] = {}
    for profile_id, code in Through.objects.filter(reviewerprofile__in=existing.values()).values_list(
        "reviewerprofile_id", "researchfield__code"
    ):
        codes_of.setdefault(profile_id, set()).add(code)

    created: list[tuple[ExpertRow, ReviewerProfile]] = []
    updated: list[tuple[ExpertRow, ReviewerProfile, list[str]]] = []
    unchanged = 0
    for row in rows:
        user = users[row.email]
        unit = units[row.unit_uscc]
        values = {
            "province": row.province,
            "organization_id": unit.pk,
            "title": row.title,
            "max_load": row.max_load,
            "active": row.active,
        }
        profile = existing.get(user.pk)
        if profile is None:
            # The unit object, not only its id: the audit trail's text of the profile names it.
            profile = ReviewerProfile(user=user, **values)
            profile.organization = unit
            created.append((row, profile))
            continue
        changed = [name for name, value in values.items() if getattr(profile, name) != value]
        for name in changed:
            setattr(profile, name, values[name])
        profile.user, profile.organization = user, unit
        changed = [name.removesuffix("_id") for name in changed]
        if codes_of.get(profile.pk, set()) != set(row.field_codes):
            changed.append("fields")
        changed += user_changes.get(row.email, [])
        if changed:
            updated.append((row, profile, changed))
        else:
            unchanged += 1

    ReviewerProfile.objects.bulk_create([profile for _row, profile in created])
    _update_profiles([profile for _row, profile, changed in updated if set(changed) & PROFILE_FIELDS])
    refields = [(row, profile) for row, profile, changed in updated if "fields" in changed]
    Through.objects.filter(reviewerprofile__in=[profile for _row, profile in refields]).delete()
    Through.objects.bulk_create(
        [
            Through(reviewerprofile_id=profile.pk, researchfield_id=field_ids[code])
            for row, profile in [*created, *refields]
            for code in row.field_codes
        ],
        batch_size=1000,
    )

    # Which fields changed, never their values: the trail should not spread ID numbers.
    for row, profile in created:
        audit_record(actor=by, action="reviewer.create", obj=profile, data={"via": "import", "row": row.row})
    for row, profile, changed in updated:
        audit_record(
            actor=by,
            action="reviewer.update",
            obj=profile,
            data={"via": "import", "row": row.row, "changed": changed},
        )
    profiles_of = {profile.user_id: profile for _row, profile in created}
    for user in new_users:
        _queue_invitation(user=user, profile=profiles_of[user.pk])
    return {
        "created": len(created),
        "updated": len(updated),
        "unchanged": unchanged,
        "units_created": units_created,
    }


PROFILE_FIELDS = frozenset({"province", "organization", "title", "max_load", "active"})


def _update_profiles(profiles: list[ReviewerProfile]) -> None:
    """One UPDATE per set of equal values: an import mostly gives many experts the same
    province, unit, load and status, and Django's bulk_update is slow for thousands of rows."""
    groups: dict[tuple, list[int]] = {}
    for profile in profiles:
        key = (profile.province, profile.organization_id, profile.title, profile.max_load, profile.active)
        groups.setdefault(key, []).append(profile.pk)
    for (province, organization_id, title, max_load, active), pks in groups.items():
        for start in range(0, len(pks), CHUNK):
            ReviewerProfile.objects.filter(pk__in=pks[start : start + CHUNK]).update(
                province=province,
                organization_id=organization_id,
                title=title,
                max_load=max_load,
                active=active,
            )


def _create_units(rows: list[ExpertRow], *, units: dict[str, Organization], by: User) -> int:
    """Register the units the portal does not know yet, as the first row naming each has them.

    Staff vouch for the list, so the units are verified at once (``organization_create`` does
    that for staff). The list tells only the province, taken as where the unit is registered
    and located; the type is "other" until the unit or staff say more.
    """
    count = 0
    for row in rows:
        if row.unit_uscc in units:
            continue
        try:
            units[row.unit_uscc] = organization_create(
                by=by,
                name=row.unit_name,
                uscc=row.unit_uscc,
                org_type=OrganizationType.OTHER,
                registered_province=row.province,
                located_province=row.province,
            )
        except ValidationError as error:
            messages = error.message_dict if hasattr(error, "error_dict") else {"uscc": error.messages}
            raise _Refused(
                [
                    RowError(
                        row.row,
                        tuple(
                            Problem("unit_uscc" if name == "uscc" else "unit_name", "invalid", message)
                            for name, texts in messages.items()
                            for message in texts
                        ),
                    )
                ]
            ) from error
        count += 1
    return count


def _save_users(rows: list[ExpertRow], *, users: dict[str, User]) -> tuple[list[User], dict[str, list[str]]]:
    """Create the accounts of new experts (without a password: the invitation sets one) and
    update name, phone, title and ID of existing expert accounts. Returns the new accounts and,
    per address, the names of the fields changed on an existing one."""
    new: list[User] = []
    changes: dict[str, list[str]] = {}
    updates: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        values: dict[str, Any] = {"full_name": row.full_name}
        # Optional columns left empty keep what the account holds.
        if row.phone:
            values["phone"] = row.phone
        if row.title:
            values["title"] = row.title
        if row.id_number:
            values["id_type"] = row.id_type
            values["id_number"] = row.id_number
            values["birth_date"] = id_birth_date(row.id_number) if row.id_type == IdType.RESIDENT_ID else None
        user = users.get(row.email)
        if user is None:
            user = User(email=row.email, role=Role.REVIEWER, **values)
            user.set_unusable_password()
            users[row.email] = user
            new.append(user)
            continue
        changed = {name: value for name, value in values.items() if getattr(user, name) != value}
        if changed:
            for name, value in changed.items():
                setattr(user, name, value)
            # The birth date follows the ID number; one name for both is enough.
            changes[row.email] = [name for name in changed if name != "birth_date"]
            updates.append((user.pk, changed))
    User.objects.bulk_create(new, batch_size=500)
    # One UPDATE per changed account, of its changed fields: Django's bulk_update builds a
    # CASE per row and field, which is slower than this for thousands of rows.
    for pk, changed in updates:
        User.objects.filter(pk=pk).update(**changed)
    return new, changes


def _invitation_link(user: User) -> str:
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.PORTAL_BASE_URL + path


def _queue_invitation(*, user: User, profile: ReviewerProfile) -> None:
    """The set-password link of Django's password reset, which works once and expires after
    ``PASSWORD_RESET_TIMEOUT``; the message is stored now and sent after commit."""
    context = {
        "user": user,
        "profile": profile,
        "link": _invitation_link(user),
        "login": settings.PORTAL_BASE_URL + reverse("accounts:login"),
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    # Written in the portal's language (the experts'), whatever language the staff page is in.
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("reviews/email/expert_invitation_subject.txt", context)
        body = render_to_string("reviews/email/expert_invitation_body.txt", context)
    email_queue(to=user.email, subject=subject, body=body, kind="reviewer_invitation", sensitive=True)


@transaction.atomic
def reviewer_invite(*, profile: ReviewerProfile, by: User) -> ReviewerProfile:
    """Send the invitation again (its link expired or got lost) to an expert who has not chosen
    a password yet; once they have, "forgot password" is their way back in."""
    require_review_staff(by)
    user = User.objects.select_for_update().get(pk=profile.user_id)
    if user.has_usable_password():
        raise PoolError(
            _("%(name)s has chosen a password already; they sign in, or use “Forgot your password?”.")
            % {"name": user.full_name},
            "password_set",
        )
    _queue_invitation(user=user, profile=profile)
    audit_record(actor=by, action="reviewer.invite", obj=profile)
    return profile


@transaction.atomic
def reviewer_set_active(*, profile: ReviewerProfile, active: bool, by: User) -> ReviewerProfile:
    """Take an expert out of the draw (or back in). Assignments already made stay; the expert
    still signs in and finishes them."""
    require_review_staff(by)
    changed = ReviewerProfile.objects.filter(pk=profile.pk, active=not active).update(active=active)
    profile.refresh_from_db(fields=["active"])
    if changed:
        audit_record(
            actor=by,
            action="reviewer.activate" if active else "reviewer.deactivate",
            obj=profile,
            from_state="inactive" if active else "active",
            to_state="active" if active else "inactive",
        )
    return profile
