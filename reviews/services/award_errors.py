"""The refusals of the award services (``reviews.services.awards``, ``award_amounts`` and
``award_suggestions``) and the HTTP status that pages and API give each of them.

Refusals are ``AwardError(message, field=, code=)``. Codes and what the API answers:

* 400 — ``invalid`` (an amount that is not a number, negative, with more than two decimals,
  too large, or an unknown key), ``unit`` (a USCC that is not a unit of the project),
  ``cross_funding`` (a side paying a unit of the other province when the call does not allow
  it), ``shares`` (per-unit amounts that do not add up to the total given), ``cap``,
  ``required`` (no funding at all, no reason), ``applications`` (ids not in the call);
* 403 — ``not_allowed`` (not review staff), ``province`` (an approval by someone without a
  province of the two, such as an administrator);
* 409 — ``quota``, ``budget_sc``, ``budget_cq`` (the call's state has no room), ``state``
  (not possible in the application's or award's state, or after the announcement started),
  ``exists`` (the application has a live award), ``already_approved``, ``conflict`` (the
  award changed since it was read: send the version read).
"""

from __future__ import annotations


class AwardError(Exception):
    """A refusal of the award services; ``message`` says why, for the user; ``code`` is stable
    (see the module's docstring); ``field`` names the input at fault (dotted, as the API)."""

    def __init__(self, message: str, *, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


# Refusals of who asks (403) and of the state of the call or the award (409); the rest is bad
# input (400).
FORBIDDEN_CODES = frozenset({"not_allowed", "province"})
STATE_CODES = frozenset(
    {"quota", "budget_sc", "budget_cq", "state", "exists", "already_approved", "conflict"}
)


def http_status(code: str) -> int:
    """The HTTP status of a refusal with ``code`` (pages and API answer alike)."""
    if code in FORBIDDEN_CODES:
        return 403
    return 409 if code in STATE_CODES else 400
