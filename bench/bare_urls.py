"""The portal's URLs plus ``POST /api/v1/bench/bare/``: the floor of the submit benchmark.

The bare endpoint goes through the same middleware, the same DRF token authentication and
permission as the portal's API, then does ONE insert (an audit event about the caller) and
answers JSON. Only ``bench/settings.py`` uses this URLconf.
"""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import urls as portal_urls
from portal.audit.services import audit_record


class BareInsert(APIView):
    def post(self, request: Request) -> Response:
        event = audit_record(actor=request.user, action="bench.bare", obj=request.user)
        return Response({"id": event.pk})


urlpatterns = [path("api/v1/bench/bare/", BareInsert.as_view(), name="bench-bare"), *portal_urls.urlpatterns]

handler400 = portal_urls.handler400
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500
