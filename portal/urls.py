"""The portal's URLs. Only this module and the site shell import the apps' views."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.accounts import views as account_views
from portal.jobs import api as jobs_api
from portal.shell import views as shell_views

admin.site.site_header = _("Sichuan–Chongqing Joint R&D Portal · administration")
admin.site.site_title = _("Sichuan–Chongqing Joint R&D Portal")
admin.site.index_title = _("Administration")

# Swagger UI sets inline styles; this page alone allows them.
swagger_ui = csp_override({**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

api_v1 = [
    path("auth/", include("portal.accounts.api_urls")),
    path("", include("portal.organizations.api_urls")),
    path("jobs/<int:pk>/", jobs_api.JobView.as_view(), name="api-job"),
    path("", include("reviews.api_urls")),
    path("", include("applications.api_urls")),
]

urlpatterns = [
    path("", include("portal.shell.urls")),
    path("accounts/", include("portal.accounts.urls")),
    path("calls/", include("applications.urls")),
    path("applications/", include("applications.application_urls")),
    path("review/", include("reviews.urls")),
    path("", include("reviews.public_urls")),
    path("units/", include("portal.organizations.urls")),
    path("jobs/", include("portal.jobs.urls")),
    # One sign-in page for everyone; the second factor is enforced after it.
    path("admin/login/", account_views.admin_login),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", swagger_ui, name="api-docs"),
]

handler400 = shell_views.bad_request
handler403 = shell_views.permission_denied
handler404 = "portal.api_errors.page_not_found"  # JSON under /api/, the shell's page elsewhere
handler500 = shell_views.server_error
