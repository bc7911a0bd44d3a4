"""The unit administrator's page of members: requests to join the unit and who belongs to it.

Anyone but the unit's administrator meets a 404, as for a page that does not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.organizations import selectors
from portal.organizations.forms import MembershipRejectForm
from portal.organizations.membership import membership_approve, membership_reject
from portal.organizations.models import Organization
from portal.organizations.permissions import can_manage_members


def _managed_unit(user: object) -> Organization:
    if not can_manage_members(user)[0]:
        raise Http404(_("There is no such page."))
    return user.organization


def reject_form(pk: int, data: object = None) -> MembershipRejectForm:
    # One form per request on the page: the ids of their fields must differ.
    return MembershipRejectForm(data, auto_id=f"id_reject_{pk}_%s")


def _members_page(
    request: HttpRequest, unit: Organization, *, bound: MembershipRejectForm | None = None, bound_pk: int = 0
) -> HttpResponse:
    pending = selectors.membership_requests_pending(organization=unit)
    rows = [(item, bound if item.pk == bound_pk else reject_form(item.pk)) for item in pending]
    members = list(selectors.organization_members(organization=unit))
    return render(request, "organizations/members.html", {"unit": unit, "rows": rows, "members": members})


@login_required
@require_GET
def members(request: HttpRequest) -> HttpResponse:
    return _members_page(request, _managed_unit(request.user))


@login_required
@require_POST
def request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.membership_request_get_for_decider(user=request.user, pk=pk)
    try:
        membership_approve(membership_request=item, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s now belongs to your unit.") % {"name": item.user.full_name})
    return HttpResponseRedirect(reverse("units:members"))


@login_required
@require_POST
def request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.membership_request_get_for_decider(user=request.user, pk=pk)
    form = reject_form(pk, request.POST)
    if form.is_valid():
        try:
            membership_reject(membership_request=item, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return HttpResponseRedirect(reverse("units:members"))
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The request of %(name)s is rejected.") % {"name": item.user.full_name}
            )
            return HttpResponseRedirect(reverse("units:members"))
    return _members_page(request, item.organization, bound=form, bound_pk=pk)
