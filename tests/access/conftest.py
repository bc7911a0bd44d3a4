"""The world of the access matrix, built once per module (and per xdist process), inside a
transaction that is rolled back when the module is done; one signed-in client per role."""

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client, override_settings

from tests.access.world import ROLES, World, build_world

BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(scope="module")
def access_world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[tuple[World, dict]]:
    from portal.celery import app

    media_root = tmp_path_factory.mktemp("access-media")
    eager = app.conf.task_always_eager
    # As tests/conftest.py sets per test; here for the module's setup, which runs before it.
    app.conf.task_always_eager = True
    quick = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MEDIA_ROOT=media_root
    )
    try:
        with django_db_blocker.unblock(), quick, transaction.atomic():
            world = build_world(media_root)
            clients = {}
            for role in ROLES:
                client = Client()
                if world.users[role] is not None:
                    # Sessions are rows of this transaction: the clients live as long as the world.
                    client.force_login(world.users[role], backend=BACKEND)
                clients[role] = client
            yield world, clients
            transaction.set_rollback(True)
    finally:
        app.conf.task_always_eager = eager
