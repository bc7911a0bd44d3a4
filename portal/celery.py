"""The Celery app. Without REDIS_URL tasks run eagerly in the web process."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger(__name__)
_restore_unacked = kombu_redis.QoS.restore_unacked


def _restore_unacked_unless_detached(self: kombu_redis.QoS, client: Any = None) -> None:
    """kombu's restore of a channel's unacknowledged messages, skipped once the connection
    has been detached from its transport.

    When Redis goes away while a worker holds unacknowledged messages (a task running with
    acks_late, a retry waiting for its countdown), Celery 5.7's consumer first collects the
    broken connection (which detaches it from the transport) and then closes it; closing the
    channel again restores its unacknowledged messages through a connection that no longer
    exists, kombu 5.7 raises AttributeError ('NoneType' object has no attribute 'hostname'),
    and the worker stops with "Unrecoverable error" instead of reconnecting (found by the
    load harness, tests/integration/test_load_faults.py). There is nothing to restore through
    then: the messages are still in Redis's unacked set, which kombu restores after the
    visibility timeout, or were lost with Redis, which the beat's sweeps make good for.
    """
    if client is None and self.channel.connection.client is None:
        logger.warning(
            "broker connection lost: %d unacknowledged message(s) left to the visibility timeout",
            len(self._delivered),
        )
        return
    _restore_unacked(self, client)


kombu_redis.QoS.restore_unacked = _restore_unacked_unless_detached

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_pdf_renderer(**kwargs) -> None:  # noqa: ANN003
    """Each worker child builds its fonts and stylesheet once, and says if Chinese cannot print."""
    from portal.pdf import warm

    warm()
