"""The expert pool over the API: review staff import a CSV or XLSX list of experts.

A file with bad rows imports nothing and answers 400 with one error per bad row (its row
number as the spreadsheet shows it, the columns at fault, and each broken rule); a file that
cannot be read at all answers 400 naming ``file``.
"""

from typing import Any

from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api_errors import ApiErrorSerializer
from reviews.permissions import require_review_staff
from reviews.pool_import import ImportFileError
from reviews.services.pool import reviewers_import


class ReviewerImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=gettext_lazy(
            "The expert list as .csv (UTF-8 or GB18030) or .xlsx, at most 5 MB and 5,000 rows; the first "
            "row names the columns (email, full_name, province, unit_name, unit_uscc, fields, and optionally "
            "title, max_load, active, phone, id_number — or their Chinese names)."
        )
    )


class ImportNoteSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=gettext_lazy("Row of the file (the header is row 1)."))
    field = serializers.CharField(help_text=gettext_lazy("Column code."))
    message = serializers.CharField()


class ReviewerImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text=gettext_lazy("Experts listed in the file."))
    created = serializers.IntegerField(
        help_text=gettext_lazy("Experts added to the pool (each gets an invitation).")
    )
    updated = serializers.IntegerField(help_text=gettext_lazy("Experts of the pool whose data changed."))
    unchanged = serializers.IntegerField()
    units_created = serializers.IntegerField(help_text=gettext_lazy("Units registered for the experts."))
    notes = ImportNoteSerializer(
        many=True, help_text=gettext_lazy("What was done differently from the file.")
    )
    ignored_columns = serializers.ListField(child=serializers.CharField())


class RowProblemSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=gettext_lazy("Column code."))
    code = serializers.CharField(help_text=gettext_lazy("Stable, untranslated code of the rule."))
    message = serializers.CharField()


class RowErrorSerializer(serializers.Serializer):
    """One bad row; for a file that cannot be read, the one error naming ``file`` (no row)."""

    row = serializers.IntegerField(
        required=False, help_text=gettext_lazy("Row of the file (the header is row 1); absent for the file.")
    )
    field = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy("The column codes at fault, separated by commas; file for the file itself."),
    )
    code = serializers.CharField(
        help_text=gettext_lazy("The rule's code, or invalid_row when several are broken.")
    )
    message = serializers.CharField(
        help_text=gettext_lazy("Every problem of the row, each after its column code.")
    )
    problems = RowProblemSerializer(many=True, required=False)


class InvalidRowsSerializer(serializers.Serializer):
    """400 of the import: the bad rows (code invalid_rows), or a file that cannot be read (the
    API's error shape, without code)."""

    code = serializers.CharField(
        required=False, help_text=gettext_lazy("invalid_rows when rows are bad; absent otherwise.")
    )
    detail = serializers.CharField()
    errors = RowErrorSerializer(many=True, help_text=gettext_lazy("One entry per bad row, in file order."))


@extend_schema(tags=["reviews"])
class ReviewerImportView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="reviewers_import",
        summary=gettext_lazy("Import experts into the pool"),
        description=gettext_lazy(
            "Review staff only. All or nothing: when any row is bad nothing is imported and the answer "
            "lists every bad row. New experts get an account (role reviewer) and an email with a link to "
            "choose their password; units not yet registered are registered; experts already in the pool "
            "(same email) are updated. Importing the same file again changes nothing."
        ),
        request={"multipart/form-data": ReviewerImportUploadSerializer},
        responses={
            200: ReviewerImportResultSerializer,
            400: OpenApiResponse(
                InvalidRowsSerializer,
                description=gettext_lazy(
                    "Bad rows (code invalid_rows, one error per row), or a file that cannot be read "
                    "(the API's error shape, naming file)."
                ),
            ),
            401: ApiErrorSerializer,
            403: OpenApiResponse(ApiErrorSerializer, description=gettext_lazy("Not review staff.")),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_review_staff(request.user)
        params = ReviewerImportUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data["file"]
        try:
            result = reviewers_import(upload=upload, by=request.user)
        except ImportFileError as error:
            raise exceptions.ValidationError(
                {"file": [exceptions.ErrorDetail(error.message, code=error.code)]}
            ) from error
        if not result.ok:
            count = len(result.errors)
            return Response(
                {
                    "code": "invalid_rows",
                    "detail": ngettext(
                        "Nothing was imported: %(count)d row has errors.",
                        "Nothing was imported: %(count)d rows have errors.",
                        count,
                    )
                    % {"count": count},
                    "errors": [
                        {
                            "row": error.row,
                            "field": error.field,
                            "code": error.code,
                            "message": error.message,
                            "problems": [
                                {"field": p.field, "code": p.code, "message": p.message}
                                for p in error.problems
                            ],
                        }
                        for error in result.errors
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "units_created": result.units_created,
                "notes": [{"row": n.row, "field": n.field, "message": n.message} for n in result.notes],
                "ignored_columns": list(result.ignored_columns),
            }
        )
