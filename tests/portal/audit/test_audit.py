"""The audit trail is append-only: the model, its queryset and (on PostgreSQL) the table refuse edits."""

import pytest
from django.db import DatabaseError, connection, transaction

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return audit_record(
        actor=UserFactory(), action="organization.create", obj=OrganizationFactory(), reason="why"
    )


def test_it_records_who_did_what_to_which_object(event):
    assert event.action == "organization.create"
    assert event.object_type == "organizations.organization"
    assert event.reason == "why" and event.actor is not None


def test_an_event_cannot_be_saved_again_or_deleted(event):
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="changed")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_the_postgresql_table_refuses_updates_that_bypass_the_model(event):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'changed' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == "why"


def test_behind_a_trusted_proxy_the_client_address_is_the_one_the_proxy_saw(rf, settings):
    from portal.audit.context import client_ip_of

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip_of(request) == "10.0.0.2"  # no proxy configured: headers are not trusted
    settings.PORTAL_TRUSTED_PROXIES = 1
    assert client_ip_of(request) == "203.0.113.7"  # the spoofed left entry is ignored
