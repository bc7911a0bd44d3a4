"""Units over the API: any signed-in user lists and finds units (to name partners); bureau
staff and administrators register them, with the USCC checked against GB 32100."""

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListCreateAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api_errors import ApiErrorSerializer
from portal.choices import Province
from portal.organizations.models import Organization
from portal.organizations.permissions import can_register_organization
from portal.organizations.selectors import organizations_search
from portal.organizations.services import organization_create


class OrganizationSerializer(serializers.ModelSerializer):
    override_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text=gettext_lazy("Staff only: why a real code that fails the GB 32100 check is accepted."),
    )

    class Meta:
        model = Organization
        fields = (
            "id",
            "name",
            "name_en",
            "uscc",
            "org_type",
            "registered_province",
            "located_province",
            "address",
            "override_reason",
        )
        # The service checks the code (GB 32100) and its uniqueness, naming the rule.
        extra_kwargs = {"uscc": {"validators": [], "max_length": 40}}


class OrganizationSearchSerializer(serializers.Serializer):
    """The query of the list: an unknown province is a 400 naming it, not an empty list."""

    search = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    province = serializers.ChoiceField(choices=Province.choices, required=False, allow_blank=True)


@extend_schema(tags=["organizations"])
class OrganizationListView(ListCreateAPIView):
    serializer_class = OrganizationSerializer

    def get_queryset(self):  # noqa: ANN201
        params = OrganizationSearchSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        return organizations_search(query=query.get("search", "")[:100], province=query.get("province", ""))

    @extend_schema(
        summary=gettext_lazy("Find units"),
        parameters=[
            OpenApiParameter("search", str, description=gettext_lazy("Part of the name, or the whole USCC")),
            OpenApiParameter("province", str, enum=[p.value for p in Province]),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary=gettext_lazy("Register a unit"),
        responses={201: OrganizationSerializer, 400: ApiErrorSerializer, 403: ApiErrorSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        allowed, reason = can_register_organization(request.user)
        if not allowed:
            raise exceptions.PermissionDenied(reason)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = organization_create(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(unit).data, status=status.HTTP_201_CREATED)
