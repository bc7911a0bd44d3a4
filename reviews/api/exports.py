"""The exports API: the award list and the applications with their aggregates of a call, as
CSV or XLSX (``?format=csv|xlsx``, XLSX when absent) — the same files as the pages' downloads
(``reviews/exports.py``). Review staff only; an unknown format is a 400 naming ``format``."""

from typing import Any

from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from applications.selectors import call_get_for_user
from portal.api_errors import ApiErrorSerializer
from reviews.exports import (
    APPLICATIONS,
    AWARDS,
    CONTENT_TYPES,
    CSV,
    FORMATS,
    XLSX,
    UnknownFormat,
    export_response,
    parse_format,
    unknown_format_message,
)
from reviews.permissions import require_review_staff


class _FileOrJsonError(BaseContentNegotiation):
    """``format`` names the file's format here, not one of DRF's renderers (DRF would answer
    404 for ``?format=csv``); and ``Accept: text/csv`` must not end in 406. The file is an
    HttpResponse of its own; errors are JSON."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0]

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return JSONRenderer(), JSONRenderer.media_type


def _schema(summary: Any, description: Any) -> Any:
    return extend_schema(
        tags=["review"],
        summary=summary,
        description=description,
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=list(FORMATS),
                description=gettext_lazy("csv (UTF-8 with BOM, streamed) or xlsx (the default)."),
            )
        ],
        responses={
            (200, CONTENT_TYPES[CSV].split(";")[0]): OpenApiResponse(
                OpenApiTypes.BINARY, description=gettext_lazy("The CSV file (format=csv).")
            ),
            (200, CONTENT_TYPES[XLSX]): OpenApiResponse(
                OpenApiTypes.BINARY, description=gettext_lazy("The XLSX workbook (format=xlsx or none).")
            ),
            (400, "application/json"): OpenApiResponse(
                ApiErrorSerializer, description=gettext_lazy("An unknown format.")
            ),
            (401, "application/json"): ApiErrorSerializer,
            (403, "application/json"): ApiErrorSerializer,
            (404, "application/json"): ApiErrorSerializer,
        },
    )


class _ExportView(APIView):
    kind = AWARDS
    content_negotiation_class = _FileOrJsonError

    def _export(self, request: Request, pk: int) -> HttpResponseBase:
        call = call_get_for_user(user=request.user, pk=pk)
        require_review_staff(request.user, call)
        try:
            fmt = parse_format(request.query_params.get("format"))
        except UnknownFormat as unknown:
            raise serializers.ValidationError(
                {"format": [unknown_format_message(unknown)]}, code="unknown_format"
            ) from unknown
        return export_response(self.kind, call, fmt)


class AwardsExportView(_ExportView):
    """The award list of a call (review staff)."""

    kind = AWARDS

    @_schema(
        gettext_lazy("Award list of a call (CSV or XLSX)"),
        gettext_lazy(
            "Every live award of the call (all but withdrawn) in the order of the notices: number, "
            "notice number, project title, field, guide task, lead unit and its unified social credit "
            "code, partner units, project leader, Sichuan and Chongqing funding and their total in "
            "10,000 yuan, status and review score. Headers in the request's language (Chinese by "
            "default). XLSX adds a totals row. Text cells that a spreadsheet would read as a formula "
            "start with an apostrophe. Bureau staff of either province and administrators only."
        ),
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return self._export(request, pk)


class ApplicationsExportView(_ExportView):
    """Every application of a call past submission with its aggregates (review staff)."""

    kind = APPLICATIONS

    @_schema(
        gettext_lazy("Applications of a call with their aggregates (CSV or XLSX)"),
        gettext_lazy(
            "Every application of the call submitted at least once: rank, reference, title, project "
            "leader, status, field, guide task, lead unit, province, government funds requested of "
            "Sichuan and of Chongqing in 10,000 yuan, and for those in the expert review the number "
            "of submitted reviews, mean, trimmed mean, median, standard deviation and spread — the "
            "ranking's figures. Bureau staff of either province and administrators only."
        ),
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return self._export(request, pk)
