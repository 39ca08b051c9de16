"""On PostgreSQL the database itself rejects UPDATE and DELETE on the audit table."""

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_raw_sql_update_of_an_audit_row_fails_at_the_database(radiologist):
    event = audit_record(actor=radiologist, action="case.viewed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "case.viewed"


def test_a_raw_sql_delete_of_an_audit_row_fails_at_the_database(radiologist):
    event = audit_record(actor=radiologist, action="case.viewed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()
