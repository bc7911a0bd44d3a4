"""The expert pool's pages for review staff: the list (filters, size per province and field,
switching experts on and off, sending an invitation again) and the import of a CSV or XLSX
list, which shows every bad row of a refused file or what a good one did."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from applications.models import ResearchField
from portal.choices import JOINT_PROVINCES
from reviews import pool_import
from reviews.permissions import require_review_staff
from reviews.pool_import import ImportFileError
from reviews.selectors.pool import expert_get_for_staff, experts_search, pool_counts
from reviews.services.pool import PoolError, reviewer_invite, reviewer_set_active, reviewers_import

PAGE_SIZE = 50
# A refused file may list thousands of rows; the page shows this many notes after an import.
NOTES_SHOWN = 200
RESULT_KEY = "reviews.pool_import_result"

# What the import page says about each column (the codes and Chinese names come from
# pool_import, so that the page and the parser never disagree).
COLUMN_RULES = {
    "email": gettext_lazy("The expert's own address; it becomes their sign-in. Listed once per file."),
    "full_name": gettext_lazy("As it should appear to staff (at most 100 characters)."),
    "province": gettext_lazy(
        "SC or CQ (also 四川/重庆, Sichuan/Chongqing): the province whose pool the expert belongs to."
    ),
    "unit_name": gettext_lazy(
        "The unit the expert works for. A unit already registered keeps its registered name."
    ),
    "unit_uscc": gettext_lazy("The unit's unified social credit code, 18 characters, checked by GB 32100."),
    "fields": gettext_lazy(
        "One or more field codes separated by commas, semicolons or 、 (Chinese field names work too)."
    ),
    "title": gettext_lazy("Professional title, e.g. 教授, 研究员 (optional)."),
    "max_load": gettext_lazy(
        "Most applications the expert reviews in one call: a whole number from 1 to 200 (default 10)."
    ),
    "active": gettext_lazy("yes or no (是/否); inactive experts are not drawn (default yes)."),
    "phone": gettext_lazy("Optional."),
    "id_number": gettext_lazy("Optional: resident ID number (GB 11643 check) or passport number."),
}


def _filters(request: HttpRequest, fields: list[ResearchField]) -> dict[str, Any]:
    """The list's filters from the query string; unknown values mean "all"."""
    province = request.GET.get("province", "")
    field_code = request.GET.get("field", "")
    active = request.GET.get("active", "yes")
    return {
        "province": province if province in JOINT_PROVINCES else "",
        "field": field_code if field_code in {f.code for f in fields} else "",
        "active": active if active in ("yes", "no", "all") else "yes",
        # PostgreSQL refuses NUL characters in a query.
        "q": request.GET.get("q", "").replace("\x00", "").strip()[:100],
    }


@login_required
@require_http_methods(["GET", "POST"])
def expert_list(request: HttpRequest) -> HttpResponse:
    require_review_staff(request.user)
    if request.method == "POST":
        return _expert_action(request)
    fields = list(ResearchField.objects.order_by("position", "code"))
    chosen = _filters(request, fields)
    experts = experts_search(
        province=chosen["province"],
        field_code=chosen["field"],
        active={"yes": True, "no": False}.get(chosen["active"]),
        query=chosen["q"],
    )
    page = Paginator(experts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/expert_list.html",
        {
            "page": page,
            "experts": page.object_list,
            "fields": fields,
            "provinces": [(p.value, p.label) for p in JOINT_PROVINCES],
            "chosen": chosen,
            "counts": pool_counts(fields),
        },
    )


def _expert_action(request: HttpRequest) -> HttpResponseRedirect:
    """Switch one expert on or off, or send the invitation again; back to the same list."""
    expert = expert_get_for_staff(pk=request.POST.get("expert", ""))
    action = request.POST.get("action", "")
    name = expert.user.full_name
    if action in ("activate", "deactivate"):
        reviewer_set_active(profile=expert, active=action == "activate", by=request.user)
        if expert.active:
            messages.success(request, _("%(name)s is active again and may be drawn.") % {"name": name})
        else:
            messages.success(
                request,
                _("%(name)s is inactive: not drawn any more; assignments already made stay.")
                % {"name": name},
            )
    elif action == "invite":
        try:
            reviewer_invite(profile=expert, by=request.user)
        except PoolError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("The invitation to %(email)s is on its way.") % {"email": expert.user.email}
            )
    else:
        messages.error(request, _("Unknown action; nothing was changed."))
    # Back to the list as it was (filters and page), which the form posted to.
    return redirect(request.get_full_path())


class ExpertImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Expert list (.csv or .xlsx)"),
        help_text=gettext_lazy("At most 5 MB and 5,000 experts; the first row names the columns."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )


def _columns() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "chinese": next((alias for alias in aliases if not alias.isascii()), ""),
            "required": code in pool_import.REQUIRED_COLUMNS,
            "label": pool_import.COLUMN_LABELS[code],
            "rule": COLUMN_RULES[code],
        }
        for code, aliases in pool_import.COLUMN_ALIASES.items()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def expert_import(request: HttpRequest) -> HttpResponse:
    require_review_staff(request.user)
    context: dict[str, Any] = {
        "columns": _columns(),
        "fields": ResearchField.objects.order_by("position", "code"),
        "result": request.session.pop(RESULT_KEY, None) if request.method == "GET" else None,
    }
    form = ExpertImportForm(request.POST, request.FILES) if request.method == "POST" else ExpertImportForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = reviewers_import(upload=upload, by=request.user)
        except ImportFileError as error:
            form.add_error("file", error.message)
        else:
            if not result.ok:
                headers = dict(result.columns)
                context.update(
                    errors=result.errors,
                    # Columns named as the file names them (邮箱 rather than email, say).
                    error_rows=[
                        {
                            "row": error.row,
                            "problems": [
                                {
                                    "field": p.field,
                                    "column": headers.get(p.field, p.field),
                                    "message": p.message,
                                }
                                for p in error.problems
                            ],
                        }
                        for error in result.errors
                    ],
                    file_name=upload.name,
                )
            else:
                # After a redirect, so that reloading the page does not send the file again.
                request.session[RESULT_KEY] = {
                    "file": upload.name,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "units_created": result.units_created,
                    "notes": [
                        {"row": note.row, "field": note.field, "message": note.message}
                        for note in result.notes[:NOTES_SHOWN]
                    ],
                    "more_notes": max(0, len(result.notes) - NOTES_SHOWN),
                    "ignored_columns": list(result.ignored_columns),
                }
                return redirect(reverse("reviews:expert_import"))
    context["form"] = form
    return render(request, "reviews/expert_import.html", context)
