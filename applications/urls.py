"""Pages of the calls, mounted at /calls/."""

from django.urls import path

from applications import views

app_name = "calls"

urlpatterns = [
    path("", views.call_list, name="list"),
    path("<int:pk>/", views.call_detail, name="detail"),
]
