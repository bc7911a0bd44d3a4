"""Finding conflicts of interest (回避) between applications and the experts of the pool.

A pair of application and expert is in conflict when

* a ``Conflict`` row says so (declared by the expert, entered by staff, or an avoid-list
  entry staff confirmed), or — computed live, so that an edited team or a moved expert is
  always seen as it is now —
* the expert's unit is the lead unit or a partner unit (a registered partner by its
  organisation, a named one by its USCC);
* the expert is on the team (the same account, the same ID number, or the same name at
  the same unit);
* the applicant asked to avoid the expert (``AvoidedExpert``): the same name *and* the same
  unit. A person of the same name at another unit is a homonym, not a match; it is reported
  as a near match on the panel page so that staff can decide.

Names are compared after NFKC (full-width letters and spaces become plain ones), without
any space and case-folded; units after NFKC, with runs of spaces made one and case-folded,
against the expert's unit name in Chinese or in English.

Everything is read in a fixed number of queries (the pool, the applications, their partners,
team, avoid lists and stored conflicts), whatever the number of applications; the matching
uses dictionaries keyed on units, accounts, ID numbers and names, never all pairs.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from applications.models import (
    Application,
    ApplicationStatus,
    AvoidedExpert,
    FundingCall,
    Partner,
    TeamMember,
)
from reviews.models import Conflict, ConflictSource, ReviewerProfile

# The applications a panel is drawn for; other ones are only checked when named.
REVIEW_STATES = (ApplicationStatus.ACCEPTED, ApplicationStatus.UNDER_REVIEW, ApplicationStatus.REVIEWED)
# Stored conflicts staff may take back (they entered them); a declared one is the expert's word.
REMOVABLE_SOURCES = (ConflictSource.STAFF, ConflictSource.APPLICANT)

# Variants of the middle dot in names such as 买买提·艾力.
_DOTS = re.compile("[\u00b7\u2022\u2027\u30fb\uff65\u2219]")


def normalize_name(text: str | None) -> str:
    """A person's name for comparison: NFKC, no spaces at all (also full-width), one middle
    dot, case-folded."""
    text = unicodedata.normalize("NFKC", text or "")
    return _DOTS.sub("·", "".join(text.split())).casefold()


def normalize_unit(text: str | None) -> str:
    """A unit's name for comparison: NFKC (full-width brackets become plain ones), trimmed,
    runs of spaces made one, case-folded."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def _id_key(text: str | None) -> str:
    return (text or "").strip().upper()


# --- What is read -------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolExpert:
    id: int
    user_id: int
    name: str
    id_number: str
    organization_id: int
    uscc: str
    unit: str
    unit_keys: frozenset[str]


@dataclass
class Pool:
    """The experts with the dictionaries the matching looks them up in."""

    experts: dict[int, PoolExpert] = field(default_factory=dict)
    by_organization: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_uscc: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_user: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_id_number: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_name_unit: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, expert: PoolExpert) -> None:
        self.experts[expert.id] = expert
        self.by_organization[expert.organization_id].append(expert.id)
        self.by_uscc[expert.uscc].append(expert.id)
        self.by_user[expert.user_id].append(expert.id)
        if expert.id_number:
            self.by_id_number[expert.id_number].append(expert.id)
        name = normalize_name(expert.name)
        if name:
            self.by_name[name].append(expert.id)
            for unit in expert.unit_keys:
                self.by_name_unit[(name, unit)].append(expert.id)


def pool_load(profiles: QuerySet) -> Pool:
    """One query: the experts of ``profiles`` with their account and unit."""
    pool = Pool()
    rows = profiles.values_list(
        "id",
        "user_id",
        "user__full_name",
        "user__id_number",
        "organization_id",
        "organization__uscc",
        "organization__name",
        "organization__name_en",
    )
    for pk, user_id, name, id_number, organization_id, uscc, unit, unit_en in rows:
        keys = frozenset(key for key in (normalize_unit(unit), normalize_unit(unit_en)) if key)
        pool.add(PoolExpert(pk, user_id, name, _id_key(id_number), organization_id, uscc, unit, keys))
    return pool


@dataclass(frozen=True)
class UnitRef:
    organization_id: int | None
    uscc: str
    name: str


@dataclass(frozen=True)
class MemberRef:
    user_id: int | None
    id_number: str
    name: str
    unit: str


@dataclass(frozen=True)
class AvoidRef:
    id: int
    position: int
    name: str
    unit: str
    reason: str


@dataclass
class Facts:
    """What the matching needs of one application."""

    id: int
    lead: UnitRef
    partners: list[UnitRef] = field(default_factory=list)
    team: list[MemberRef] = field(default_factory=list)
    avoid: list[AvoidRef] = field(default_factory=list)
    stored: list[tuple[int, str, str]] = field(default_factory=list)  # (reviewer, source, reason)


def facts_load(applications: QuerySet) -> dict[int, Facts]:
    """Five queries, whatever the number of ``applications``: the rows, their partners, team,
    avoid lists and stored conflicts (the last four filtered by a subquery)."""
    facts: dict[int, Facts] = {}
    for pk, lead_id, uscc, name, pi_id, pi_name in applications.values_list(
        "id", "lead_unit_id", "lead_unit__uscc", "lead_unit__name", "pi_id", "pi__full_name"
    ):
        facts[pk] = Facts(pk, UnitRef(lead_id, uscc, name))
        # The project leader's account counts even when the team rows miss it (an old draft).
        facts[pk].team.append(MemberRef(pi_id, "", pi_name, ""))
    if not facts:
        return facts
    ids = applications.values("pk")
    for app_id, organization_id, uscc, name in Partner.objects.filter(application_id__in=ids).values_list(
        "application_id", "organization_id", "uscc", "name"
    ):
        facts[app_id].partners.append(UnitRef(organization_id, uscc, name))
    for app_id, user_id, id_number, name, unit in TeamMember.objects.filter(
        application_id__in=ids
    ).values_list("application_id", "user_id", "id_number", "name", "unit_name"):
        facts[app_id].team.append(MemberRef(user_id, _id_key(id_number), name, unit))
    for app_id, pk, position, name, unit, reason in (
        AvoidedExpert.objects.filter(application_id__in=ids)
        .order_by("application_id", "position", "id")
        .values_list("application_id", "id", "position", "name", "unit_name", "reason")
    ):
        facts[app_id].avoid.append(AvoidRef(pk, position, name, unit, reason))
    for app_id, reviewer_id, source, reason in Conflict.objects.filter(application_id__in=ids).values_list(
        "application_id", "reviewer_id", "source", "reason"
    ):
        facts[app_id].stored.append((reviewer_id, source, reason))
    return facts


def call_applications(call: FundingCall, application_ids: Iterable[int] | None = None) -> QuerySet:
    """The call's applications in review, or the named ones of the call whatever their state."""
    applications = Application.objects.filter(call=call)
    if application_ids is None:
        return applications.filter(status__in=REVIEW_STATES)
    return applications.filter(pk__in=list(application_ids))


# --- Matching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One computed reason why an expert may not review an application."""

    application_id: int
    reviewer_id: int
    source: str
    code: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def reason(self) -> str:
        return reason_text(self.code, dict(self.params))


def reason_text(code: str, params: dict[str, str]) -> str:
    """The reason of a computed conflict in the reader's language."""
    messages = {
        "lead": _("%(unit)s, the expert's unit, is the lead unit."),
        "partner": _("%(unit)s, the expert's unit, is a partner unit."),
        "team_account": _("The expert is on the team (%(name)s, the same account)."),
        "team_id_number": _("The expert is on the team (%(name)s, the same ID number)."),
        "team_name": _("The expert is on the team (%(name)s of %(unit)s, the same name and unit)."),
        "avoid": _("The applicant asked to avoid %(name)s of %(unit)s."),
    }
    return messages[code] % params


def _avoid_matches(pool: Pool, avoided: AvoidRef) -> tuple[list[int], list[int]]:
    """The experts matching an avoid-list entry (same name and unit) and the near matches
    (same name, another unit: homonyms, for staff to decide)."""
    name = normalize_name(avoided.name)
    if not name:
        return [], []
    matched = pool.by_name_unit.get((name, normalize_unit(avoided.unit)), [])
    near = [pk for pk in pool.by_name.get(name, []) if pk not in matched]
    return list(matched), near


def computed_hits(facts: Facts, pool: Pool) -> Iterator[Hit]:
    """Every computed conflict of one application with the experts of ``pool``."""
    app = facts.id
    for source_code, units in (("lead", [facts.lead]), ("partner", facts.partners)):
        for unit in units:
            found = set(pool.by_uscc.get(unit.uscc, []))
            if unit.organization_id is not None:
                found.update(pool.by_organization.get(unit.organization_id, []))
            for pk in sorted(found):
                yield Hit(app, pk, ConflictSource.UNIT, source_code, (("unit", pool.experts[pk].unit),))
    for member in facts.team:
        ways = (
            ("team_account", pool.by_user.get(member.user_id, []) if member.user_id else []),
            ("team_id_number", pool.by_id_number.get(member.id_number, []) if member.id_number else []),
            (
                "team_name",
                pool.by_name_unit.get((normalize_name(member.name), normalize_unit(member.unit)), []),
            ),
        )
        seen: set[int] = set()
        for code, found in ways:
            # One reason per expert and member: the strongest way they were recognised.
            for pk in found:
                if pk not in seen:
                    seen.add(pk)
                    params = (("name", member.name), ("unit", member.unit))
                    yield Hit(app, pk, ConflictSource.TEAM, code, params)
    for avoided in facts.avoid:
        matched, _near = _avoid_matches(pool, avoided)
        for pk in matched:
            yield Hit(
                app, pk, ConflictSource.APPLICANT, "avoid", (("name", avoided.name), ("unit", avoided.unit))
            )


def pairs_of(facts: dict[int, Facts], pool: Pool) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for one in facts.values():
        pairs.update((one.id, reviewer) for reviewer, _source, _reason in one.stored)
        pairs.update((hit.application_id, hit.reviewer_id) for hit in computed_hits(one, pool))
    return pairs


def conflict_pairs_read(
    *, call: FundingCall, application_ids: Iterable[int] | None = None
) -> set[tuple[int, int]]:
    """See ``reviews.services.conflicts.conflict_pairs``. Six queries."""
    pool = pool_load(ReviewerProfile.objects.filter(active=True))
    return pairs_of(facts_load(call_applications(call, application_ids)), pool)


def conflicts_between_read(*, application: Application, reviewer: ReviewerProfile) -> list[tuple[str, str]]:
    """See ``reviews.services.conflicts.conflicts_between``: stored ones first, then computed."""
    pool = pool_load(ReviewerProfile.objects.filter(pk=reviewer.pk))
    facts = facts_load(Application.objects.filter(pk=application.pk)).get(application.pk)
    if facts is None:
        return []
    found: list[tuple[str, str]] = []
    for reviewer_id, source, reason in facts.stored:
        if reviewer_id == reviewer.pk:
            found.append((source, reason or str(ConflictSource(source).label)))
    for hit in computed_hits(facts, pool):
        found.append((hit.source, hit.reason))
    return list(dict.fromkeys(found))


# --- The panel page -----------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictEntry:
    """One reason why ``reviewer`` may not review the application: a stored ``Conflict``
    (``conflict`` set) or a computed one."""

    reviewer: ReviewerProfile
    source: str
    reason: str
    conflict: Conflict | None = None

    @property
    def stored(self) -> bool:
        return self.conflict is not None

    @property
    def computed(self) -> bool:
        return self.conflict is None

    @property
    def source_label(self) -> str:
        return str(ConflictSource(self.source).label)

    @property
    def removable(self) -> bool:
        """Staff may take back what staff entered (``conflict_remove``)."""
        return self.conflict is not None and self.source in REMOVABLE_SOURCES


AVOID_MATCHED = "matched"
AVOID_NEAR = "near"
AVOID_UNMATCHED = "unmatched"


@dataclass(frozen=True)
class AvoidEntry:
    """An expert the applicant asked to avoid and what the pool holds for them.

    ``status``: ``matched`` (an expert of the same name at the same unit: excluded),
    ``near`` (the same name at another unit only: not excluded unless staff confirm it,
    ``conflict_record(source="applicant")``), ``unmatched`` (nobody of that name).
    ``confirmed`` are the near matches staff already confirmed."""

    avoided: AvoidedExpert
    status: str
    matched: tuple[ReviewerProfile, ...] = ()
    near: tuple[ReviewerProfile, ...] = ()
    confirmed: tuple[ReviewerProfile, ...] = ()

    @property
    def status_label(self) -> str:
        return {
            AVOID_MATCHED: _("Found in the pool: excluded"),
            AVOID_NEAR: _("Same name at another unit: check"),
            AVOID_UNMATCHED: _("Not in the pool"),
        }[self.status]


@dataclass(frozen=True)
class ApplicationConflicts:
    """What the panel page shows: every conflict entry (iterating gives them) and the avoid
    list with its match status."""

    entries: list[ConflictEntry]
    avoided: list[AvoidEntry]

    def __iter__(self) -> Iterator[ConflictEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def reviewer_ids(self) -> set[int]:
        """The experts who may not review the application."""
        return {entry.reviewer.pk for entry in self.entries}


def _profiles(ids: set[int]) -> dict[int, ReviewerProfile]:
    if not ids:
        return {}
    return ReviewerProfile.objects.select_related("user", "organization").in_bulk(list(ids))


def conflicts_of_application(*, application: Application) -> ApplicationConflicts:
    """Every conflict of ``application`` with the pool (stored and computed) and its avoid
    list matched against the active experts. A fixed number of queries."""
    pool = pool_load(ReviewerProfile.objects.filter(active=True))
    facts = facts_load(Application.objects.filter(pk=application.pk)).get(application.pk)
    if facts is None:
        return ApplicationConflicts([], [])
    stored = list(
        Conflict.objects.filter(application_id=application.pk).select_related(
            "reviewer__user", "reviewer__organization", "created_by"
        )
    )
    hits = list(computed_hits(facts, pool))
    matches = {avoided.id: _avoid_matches(pool, avoided) for avoided in facts.avoid}
    wanted = {hit.reviewer_id for hit in hits}
    for matched, near in matches.values():
        wanted.update(matched, near)
    profiles = _profiles(wanted - {c.reviewer_id for c in stored})
    profiles.update({c.reviewer_id: c.reviewer for c in stored})
    entries = [ConflictEntry(c.reviewer, c.source, c.reason or c.get_source_display(), c) for c in stored]
    seen = {(e.reviewer.pk, e.source, e.reason) for e in entries}
    for hit in hits:
        key = (hit.reviewer_id, hit.source, hit.reason)
        if key not in seen:
            seen.add(key)
            entries.append(ConflictEntry(profiles[hit.reviewer_id], hit.source, hit.reason))
    entries.sort(key=lambda e: (e.reviewer.user.full_name, e.reviewer.pk, e.computed, e.source))
    confirmed = {c.reviewer_id for c in stored if c.source == ConflictSource.APPLICANT}
    avoided: list[AvoidEntry] = []
    for ref in facts.avoid:
        row = AvoidedExpert(
            pk=ref.id,
            application=application,
            position=ref.position,
            name=ref.name,
            unit_name=ref.unit,
            reason=ref.reason,
        )
        matched, near = matches[ref.id]
        status = AVOID_MATCHED if matched else AVOID_NEAR if near else AVOID_UNMATCHED
        avoided.append(
            AvoidEntry(
                row,
                status,
                tuple(profiles[pk] for pk in matched),
                tuple(profiles[pk] for pk in near),
                tuple(profiles[pk] for pk in near if pk in confirmed),
            )
        )
    return ApplicationConflicts(entries, avoided)
