"""Public pages of the decision, without sign-in (namespace ``public``): the announcements of
proposed awards (立项公示) with the objection form, and the verification page that a funding
notice's QR code opens."""

from django.urls import path

from reviews.views import notices, public

app_name = "public"

urlpatterns = [
    path("announcements/", public.announcement_list, name="announcements"),
    path("announcements/<int:call_pk>/", public.announcement, name="announcement"),
    path("announcements/<int:call_pk>/objection/", public.objection_new, name="objection_new"),
    path("notices/verify/<str:code>/", notices.notice_verify, name="notice_verify"),
]
