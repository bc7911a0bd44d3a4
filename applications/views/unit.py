"""The unit administrator's page: the applications their unit leads, those waiting for the
unit's endorsement first. For anyone else the page does not exist (404)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications import selectors
from applications.models import ApplicationStatus
from applications.views.applications import PAGE_SIZE
from applications.workflow import applicant_label
from portal.accounts.roles import Role


@require_GET
@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role != Role.UNIT_ADMIN or not user.organization_id:
        raise Http404(_("This page is for the administrators of a unit."))
    applications = selectors.applications_of_unit(user)
    # The nearest endorsement deadline first: that is the order in which they must be done.
    waiting = list(
        applications.filter(status=ApplicationStatus.SUBMITTED).order_by(
            "call__endorse_deadline", "submitted_at", "id"
        )
    )
    page = Paginator(applications.exclude(status=ApplicationStatus.SUBMITTED), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for application in [*waiting, *page]:
        application.status_label = applicant_label(application.status)
    return render(
        request,
        "applications/unit_list.html",
        {
            "unit": user.organization,
            "waiting": waiting,
            "page": page,
            "others": page.object_list,
            "now": timezone.now(),
        },
    )
