"""Writes on units (Organization): creating and updating them, with the GB 32100 rule on the USCC.

A USCC that fails the GB 32100 check is refused, except that bureau staff and administrators
may accept it by giving a reason: real licences with a wrong check character exist, and a unit
must not be locked out by a typo of its registering authority. Who accepted it, when and why
is stored on the unit and in the audit trail.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User
from portal.accounts.roles import has_manager_role
from portal.audit.services import audit_record
from portal.fields import validate_uscc
from portal.organizations.models import Organization
from portal.organizations.permissions import can_override_uscc, can_verify_organization
from portal.validators import check_uscc, normalize_uscc

# The fields a caller may set; the override fields are written by the rule below only.
EDITABLE_FIELDS = (
    "name",
    "name_en",
    "uscc",
    "org_type",
    "registered_province",
    "located_province",
    "address",
)


def organization_uscc_clean(
    *,
    uscc: str,
    by: User | None,
    override_reason: str | None,
    current: Organization | None = None,
) -> tuple[str, bool]:
    """Normalise a USCC and decide whether it may be stored.

    Returns ``(code, record_override)``: ``record_override`` is true when the code fails the
    check and ``by`` accepts it now with ``override_reason``. A failing code that ``current``
    already holds with a recorded override stays accepted when the reason is ``None`` (not
    touched) or the same; an emptied reason is refused, since a failing code needs one.
    Raises ``ValidationError`` on ``uscc`` naming the rule. Forms call this too, so that the
    admin shows the same message as the service would raise.
    """
    code = normalize_uscc(uscc or "")
    try:
        validate_uscc(code)
    except ValidationError as error:
        problem = check_uscc(code)
        reason = (override_reason or "").strip()
        # Length and alphabet errors are never real codes: only a wrong check character can be accepted.
        if problem is None or problem.code != "check":
            raise ValidationError({"uscc": error.error_list}) from error
        already_accepted = (
            current is not None
            and current.pk is not None
            and current.uscc == code
            and bool(current.uscc_override_reason)
            and (override_reason is None or reason == current.uscc_override_reason)
        )
        if already_accepted:
            return code, False
        if not reason:
            raise ValidationError(
                {
                    "uscc": [
                        *error.error_list,
                        ValidationError(
                            _(
                                "Bureau staff or an administrator may accept this code by giving a reason "
                                "for the override."
                            ),
                            code="override_needed",
                        ),
                    ]
                }
            ) from error
        allowed, why_not = can_override_uscc(by)
        if not allowed:
            raise ValidationError(
                {"uscc": [*error.error_list, ValidationError(why_not, code="override_not_allowed")]}
            ) from error
        return code, True
    return code, False


def _check_unique_uscc(code: str, *, exclude_pk: int | None = None) -> None:
    others = Organization.objects.filter(uscc=code)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError(
            {
                "uscc": ValidationError(
                    _(
                        "Another unit is already registered with this unified social credit code; "
                        "a code identifies exactly one unit."
                    ),
                    code="duplicate",
                )
            }
        )


def _save(organization: Organization) -> None:
    """Validate the other fields (the model refuses control characters, which PostgreSQL
    cannot store) and save; a concurrent insert of the same code is reported, not a 500."""
    organization.full_clean(validate_unique=False, validate_constraints=False)
    try:
        # A savepoint, so that the caller's transaction survives the IntegrityError.
        with transaction.atomic():
            organization.save()
    except IntegrityError as error:
        _check_unique_uscc(organization.uscc, exclude_pk=organization.pk)
        raise error


def _record_override(organization: Organization, *, by: User | None, reason: str) -> None:
    organization.uscc_override_by = by
    organization.uscc_override_at = timezone.now()
    organization.uscc_override_reason = reason.strip()


def _audit_override(organization: Organization, *, by: User | None) -> None:
    audit_record(
        actor=by,
        action="organization.uscc_override",
        obj=organization,
        reason=organization.uscc_override_reason,
        data={"uscc": organization.uscc},
    )


@transaction.atomic
def organization_create(
    *,
    by: User | None,
    name: str,
    uscc: str,
    org_type: str,
    registered_province: str,
    located_province: str,
    name_en: str = "",
    address: str = "",
    override_reason: str = "",
) -> Organization:
    """Register a unit. ``override_reason`` only counts when the code fails its check character."""
    code, record_override = organization_uscc_clean(uscc=uscc, by=by, override_reason=override_reason)
    _check_unique_uscc(code)
    organization = Organization(
        name=name.strip(),
        name_en=name_en.strip(),
        uscc=code,
        org_type=org_type,
        registered_province=registered_province,
        located_province=located_province,
        address=address.strip(),
    )
    if record_override:
        _record_override(organization, by=by, reason=override_reason)
    if has_manager_role(by):
        # Registered by the bureau itself: nothing left to check.
        organization.verified_at, organization.verified_by = timezone.now(), by
    _save(organization)
    audit_record(
        actor=by,
        action="organization.create",
        obj=organization,
        data={"uscc": code, "org_type": org_type, "registered_province": registered_province},
    )
    if record_override:
        _audit_override(organization, by=by)
    return organization


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    by: User | None,
    name: str | None = None,
    name_en: str | None = None,
    uscc: str | None = None,
    org_type: str | None = None,
    registered_province: str | None = None,
    located_province: str | None = None,
    address: str | None = None,
    override_reason: str | None = None,
) -> Organization:
    """Change a unit; ``None`` leaves a field as it is.

    Changing the code re-checks it. A code that passes clears an earlier override; a failing
    one needs a (new) override by staff. The object passed in may carry unsaved edits (the
    admin applies the form to it), so the stored row is re-read to compare and audit.
    """
    current = Organization.objects.select_for_update().get(pk=organization.pk)
    new_values: dict[str, str] = {
        "name": name.strip() if name is not None else current.name,
        "name_en": name_en.strip() if name_en is not None else current.name_en,
        "uscc": uscc if uscc is not None else current.uscc,
        "org_type": org_type if org_type is not None else current.org_type,
        "registered_province": registered_province
        if registered_province is not None
        else current.registered_province,
        "located_province": located_province if located_province is not None else current.located_province,
        "address": address.strip() if address is not None else current.address,
    }
    code, record_override = organization_uscc_clean(
        uscc=new_values["uscc"], by=by, override_reason=override_reason, current=current
    )
    new_values["uscc"] = code
    if code != current.uscc:
        _check_unique_uscc(code, exclude_pk=current.pk)

    changes = {
        field: [getattr(current, field), value]
        for field, value in new_values.items()
        if getattr(current, field) != value
    }
    for field, value in new_values.items():
        setattr(current, field, value)
    if record_override:
        _record_override(current, by=by, reason=override_reason or "")
    elif check_uscc(code) is None and (current.uscc_override_reason or current.uscc_override_by_id):
        # The code is right now: the exception recorded for the old one no longer applies.
        current.uscc_override_by = None
        current.uscc_override_at = None
        current.uscc_override_reason = ""
        changes["uscc_override"] = ["recorded", "cleared"]

    if changes or record_override:
        _save(current)
        audit_record(
            actor=by,
            action="organization.update",
            obj=current,
            data={"changes": changes},
        )
    if record_override:
        _audit_override(current, by=by)
    return current


@transaction.atomic
def organization_verify(*, organization: Organization, by: User) -> Organization:
    """Bureau staff confirm that a unit registered on the website is the legal person it claims
    to be (by its licence); from then on its administrator may endorse applications."""
    allowed, reason = can_verify_organization(by, organization)
    if not allowed:
        raise PermissionDenied(reason)
    now = timezone.now()
    if Organization.objects.filter(pk=organization.pk, verified_at__isnull=True).update(
        verified_at=now, verified_by=by
    ):
        audit_record(actor=by, action="organization.verify", obj=organization)
    organization.refresh_from_db(fields=["verified_at", "verified_by"])
    return organization
