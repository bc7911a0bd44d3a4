"""Routes of the calls and applications API, included at /api/v1/ by portal/urls.py.

Names: ``api-calls-list``, ``api-calls-detail``, ``api-calls-tasks``; ``api-applications-list``,
``api-applications-detail`` and one per step: ``api-applications-attachments``,
``-commitment``, ``-submit``, ``-withdraw``, ``-endorse``, ``-return``, ``-pdf``.
"""

from rest_framework.routers import SimpleRouter

from applications.api.applications import ApplicationViewSet
from applications.api.calls import CallViewSet

router = SimpleRouter()
router.register("calls", CallViewSet, basename="api-calls")
router.register("applications", ApplicationViewSet, basename="api-applications")

urlpatterns = router.urls
