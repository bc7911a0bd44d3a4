"""The portal's URLs. Only this module and the site shell import the apps' views."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.shell import views as shell_views

admin.site.site_header = _("Sichuan–Chongqing Joint R&D Portal · administration")
admin.site.site_title = _("Sichuan–Chongqing Joint R&D Portal")
admin.site.index_title = _("Administration")

api_v1 = [
    path("auth/", include("portal.accounts.api_urls")),
    path("", include("applications.api_urls")),
]

urlpatterns = [
    path("", include("portal.shell.urls")),
    path("accounts/", include("portal.accounts.urls")),
    path("calls/", include("applications.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = shell_views.bad_request
handler403 = shell_views.permission_denied
handler404 = shell_views.page_not_found  # JSON under /api/, the page elsewhere
handler500 = shell_views.server_error
