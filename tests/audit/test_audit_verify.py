"""manage.py audit_verify — finds the first broken link of the hash chain."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.audit.services import audit_record


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the application's back, as a DBA with psql
    could: on PostgreSQL the append-only trigger must be bypassed first
    (session_replication_role = replica disables triggers; superuser only)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def three_events(db, radiologist):
    return [audit_record(actor=radiologist, action=f"case.viewed.{i}", patient=i)
            for i in range(3)]


def test_an_untouched_chain_verifies(three_events, capsys):
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "intact" in out
    # the fixture's user creation is audited too
    assert "4 events verified" in out


def test_an_altered_row_is_reported_by_id(three_events):
    target = three_events[1]
    _tamper("UPDATE audit_auditevent SET patient_ref = '999' WHERE id = %s", [target.pk])
    with pytest.raises(CommandError, match=f"BROKEN at event #{target.pk}.*altered"):
        call_command("audit_verify")


def test_a_deleted_row_is_reported_at_the_row_after_it(three_events):
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [three_events[1].pk])
    with pytest.raises(CommandError, match=f"BROKEN at event #{three_events[2].pk}.*removed"):
        call_command("audit_verify")


def test_a_row_whose_hash_was_recomputed_still_breaks_the_next_link(three_events):
    _first, second, _ = three_events
    _tamper("UPDATE audit_auditevent SET action = 'forged', hash = %s WHERE id = %s",
            ["f" * 64, second.pk])
    with pytest.raises(CommandError, match="BROKEN at event"):
        call_command("audit_verify")
