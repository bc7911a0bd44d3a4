"""Routes of the calls API, included at /api/v1/ by portal/urls.py.

Names: ``api-calls-list``, ``api-calls-detail``, ``api-calls-tasks``.
"""

from rest_framework.routers import SimpleRouter

from applications.api import CallViewSet

router = SimpleRouter()
router.register("calls", CallViewSet, basename="api-calls")

urlpatterns = router.urls
