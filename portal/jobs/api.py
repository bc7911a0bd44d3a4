"""The progress of a background job for API clients: ``GET /api/v1/jobs/{id}/``.

Who may watch a job is ``portal.jobs.selectors.job_get_for_user``'s rule (its creator, bureau
staff, administrators); anyone else gets 404, as for an unknown id; anonymous callers 401.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api_errors import ApiErrorSerializer
from portal.jobs.models import Job
from portal.jobs.selectors import job_get_for_user


class JobSerializer(serializers.ModelSerializer):
    # A plain string (not an enum in the schema): the codes of JobStatus.
    status = serializers.CharField(
        read_only=True, help_text=gettext_lazy("queued (waiting for a worker), running, done or failed.")
    )
    done = serializers.IntegerField(read_only=True, help_text=gettext_lazy("Units of work finished."))
    total = serializers.IntegerField(read_only=True, help_text=gettext_lazy("Units of work in all."))
    failed = serializers.IntegerField(read_only=True, help_text=gettext_lazy("Units of work that failed."))
    error = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Why the job failed; empty otherwise.")
    )

    class Meta:
        model = Job
        fields = ["id", "kind", "status", "done", "total", "failed", "error"]
        read_only_fields = fields


class JobView(APIView):
    """A background job's progress."""

    @extend_schema(
        tags=["jobs"],
        summary=gettext_lazy("The progress of a background job"),
        description=gettext_lazy(
            "Poll it until the status is done or failed. For a batch of funding notices, done, failed "
            "and total count the call's notices."
        ),
        responses={
            200: JobSerializer,
            401: ApiErrorSerializer,
            404: OpenApiResponse(ApiErrorSerializer, description=gettext_lazy("No such job, or not yours.")),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(JobSerializer(job_get_for_user(user=request.user, pk=pk)).data)
