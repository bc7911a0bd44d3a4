from django.urls import path

from portal.jobs import views

app_name = "jobs"

urlpatterns = [path("<int:pk>/", views.job_status, name="status")]
