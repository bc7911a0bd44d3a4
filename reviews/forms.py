"""Forms of the expert's workspace: the declaration (no conflict, or a conflict with a reason),
the score sheet built from the call's rubric, and the reason staff give to reopen a review.

The score sheet's fields take the values as typed: the reviewing service checks them (range,
decimals, what a submission needs), so that the page and the API refuse the same input with
the same words; the form only carries the values and shows the service's errors on the
fields they name.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.fields import validate_no_control_characters
from reviews.models import Criterion, Recommendation
from reviews.services.reviewing import DECLARATION_TEXT, MAX_COMMENT, MAX_CRITERION_COMMENT, MAX_REASON

# The submit buttons of the score sheet.
SAVE = "save"
SUBMIT = "submit"


class DeclarationForm(forms.Form):
    """No conflict of interest, and confidentiality: the application opens."""

    agree = forms.BooleanField(
        label=DECLARATION_TEXT,
        required=True,
        error_messages={"required": _("Tick the box to make the declaration, or declare a conflict below.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, auto_id="declare-%s", **kwargs)


class ConflictForm(forms.Form):
    """A conflict of interest: the expert does not review this application."""

    reason = forms.CharField(
        label=_("What is the conflict of interest?"),
        max_length=MAX_REASON,
        validators=[validate_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: I work for a partner unit; the project leader is a recent co-author of mine. "
            "Bureau staff read it; the applicants do not."
        ),
        error_messages={"required": _("Please describe the conflict of interest.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, auto_id="conflict-%s", **kwargs)


def points_name(code: str) -> str:
    return f"points_{code}"


def comment_name(code: str) -> str:
    return f"comment_{code}"


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


class ReviewForm(forms.Form):
    """The score sheet: points and a comment per criterion, an overall comment and a
    recommendation; ``version`` is the review's version the page was made from."""

    version = forms.CharField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Overall comment"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_COMMENT}),
        help_text=_("Required to submit: the strengths and weaknesses that explain your scores."),
    )
    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        required=False,
        choices=Recommendation.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, criteria: Sequence[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, auto_id="review-%s", **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[points_name(criterion.code)] = forms.CharField(
                label=_("Points (0 to %(max)s)") % {"max": _plain(criterion.max_points)},
                required=False,
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.01",
                        "min": "0",
                        "max": _plain(criterion.max_points),
                        "inputmode": "decimal",
                    }
                ),
            )
            self.fields[comment_name(criterion.code)] = forms.CharField(
                label=_("Comment on this criterion (optional)"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_CRITERION_COMMENT}),
            )
        # The recommendation's and comment's fields come after the criteria.
        self.order_fields(["version", *self._criterion_fields(), "comment", "recommendation"])

    def _criterion_fields(self) -> list[str]:
        names = []
        for criterion in self.criteria:
            names += [points_name(criterion.code), comment_name(criterion.code)]
        return names

    def rows(self) -> list[dict[str, Any]]:
        """One row per criterion with its bound fields, for the template."""
        return [
            {
                "criterion": criterion,
                "points": self[points_name(criterion.code)],
                "comment": self[comment_name(criterion.code)],
            }
            for criterion in self.criteria
        ]

    def service_input(self) -> dict[str, Any]:
        """What the reviewing service takes, from the values as typed (call after is_valid)."""
        data = self.cleaned_data
        version = (data.get("version") or "").strip()
        return {
            "points": {c.code: data.get(points_name(c.code), "") for c in self.criteria},
            "comments": {c.code: data.get(comment_name(c.code), "") for c in self.criteria},
            "comment": data.get("comment", ""),
            "recommendation": data.get("recommendation", ""),
            "version": int(version)
            if version.isascii() and version.isdigit() and len(version) < 10
            else None,
        }

    def add_service_errors(self, errors: Sequence[Any]) -> None:
        """Show the service's errors (``scores.<code>``, ``comments.<code>``, ``comment``,
        ``recommendation``, ``version``) on the fields they name."""
        for error in errors:
            field = error.field or ""
            if field.startswith("scores."):
                name = points_name(field.removeprefix("scores."))
            elif field.startswith("comments."):
                name = comment_name(field.removeprefix("comments."))
            else:
                name = field
            self.add_error(name if name in self.fields and name != "version" else None, error.message)

    @classmethod
    def initial_of(cls, review: Any, points: dict[str, Decimal], comments: dict[str, str]) -> dict[str, Any]:
        """The form's initial values from a stored review."""
        initial: dict[str, Any] = {"version": 0}
        if review is not None:
            initial |= {
                "version": review.version,
                "comment": review.comment,
                "recommendation": review.recommendation,
            }
        for code, value in points.items():
            initial[points_name(code)] = _plain(value)
        for code, text in comments.items():
            initial[comment_name(code)] = text
        return initial


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for reopening (the expert reads it)"),
        max_length=MAX_REASON,
        validators=[validate_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please give the reason: the expert reads it.")},
    )
