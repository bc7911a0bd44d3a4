"""Forms of the conflicts of interest on the panel page: staff enter a conflict between the
application and an expert of the pool (``reviews.services.conflicts.conflict_record`` with
``source="staff"``), or take one back with a reason (``conflict_remove``)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.fields import validate_no_control_characters
from reviews.models import Conflict, ReviewerProfile

REASON_MAX = Conflict._meta.get_field("reason").max_length


class ExpertChoiceField(forms.ModelChoiceField):
    """Experts named with their unit and province, so that two of one name can be told apart."""

    def label_from_instance(self, obj: ReviewerProfile) -> str:
        return f"{obj.user.full_name} · {obj.organization.name} · {obj.get_province_display()}"


class StaffConflictForm(forms.Form):
    reviewer = ExpertChoiceField(
        label=_("Expert"),
        queryset=ReviewerProfile.objects.none(),
        empty_label="—",
        error_messages={"invalid_choice": _("Choose an active expert of the pool.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        help_text=_("Why the expert may not review this application (recorded in the audit trail)."),
        widget=forms.Textarea(attrs={"rows": "3", "maxlength": str(REASON_MAX)}),
        validators=[validate_no_control_characters],
    )

    def __init__(self, *args: Any, exclude: set[int] | None = None, **kwargs: Any) -> None:
        """``exclude``: ids of experts not to offer (those already in conflict)."""
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        experts = ReviewerProfile.objects.filter(active=True).select_related("user", "organization")
        if exclude:
            experts = experts.exclude(pk__in=exclude)
        self.fields["reviewer"].queryset = experts.order_by("province", "user__full_name", "pk")


class ConflictRemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for removing it"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": "2", "maxlength": str(REASON_MAX)}),
        validators=[validate_no_control_characters],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
