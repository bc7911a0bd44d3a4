"""Settings of the gunicorn that ``bench/bench_submit.py`` starts: the portal's own settings
(read from the environment as in production), with the bench-only URLconf, so that the
submit endpoint and the bare endpoint it is compared with run on one identical stack."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
# Production settings send mail by SMTP to localhost:25; the bench has no mail server, so
# the emails of a submission are written (to gunicorn's stdout, discarded) instead.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
# No collectstatic before the bench: the API answers never need the manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
