"""The Celery app. Without REDIS_URL tasks run eagerly in the web process."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_pdf_renderer(**kwargs) -> None:  # noqa: ANN003
    """Each worker child builds its fonts and stylesheet once, and says if Chinese cannot print."""
    from portal.pdf import warm

    warm()
