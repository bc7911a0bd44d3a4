"""Reading units: the list that pages and the API share, searchable by name or code."""

from django.db.models import Q, QuerySet

from portal.organizations.models import Organization


def organizations_search(*, query: str = "", province: str = "") -> QuerySet[Organization]:
    units = Organization.objects.order_by("name", "id")
    if query:
        units = units.filter(
            Q(name__icontains=query) | Q(name_en__icontains=query) | Q(uscc__iexact=query.strip())
        )
    if province:
        units = units.filter(Q(registered_province=province) | Q(located_province=province))
    return units
