"""Settings of the load harness's gunicorn and Celery worker: the portal's production
settings (``DJANGO_DEBUG=0``, read from the environment the harness sets), with two changes
for a machine without a mail server and without ``collectstatic``.

What the harness sets in the environment, and why (production defaults are not changed):
``DJANGO_SECURE_SSL_REDIRECT=0`` (plain HTTP on loopback, no TLS proxy in front) and
``PORTAL_REQUIRE_2FA=0`` (the staff clients sign in with a password only; the second factor
has its own tests).
"""

from portal.settings import *  # noqa: F403

# Production sends mail by SMTP to localhost:25; the harness has no mail server. The messages
# are still written, queued and "sent" by the worker's task, then dropped.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
# No collectstatic before the run: pages name their static files without the manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
