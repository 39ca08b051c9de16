"""apps.audit.services.audit_record — the one audit service."""

import pytest
from django.db import transaction
from django.test import RequestFactory

from apps.audit.chain import GENESIS_HASH
from apps.audit.models import AppendOnlyError, AuditEvent
from apps.audit.services import audit_record


@pytest.mark.django_db
def test_a_row_carries_actor_action_target_patient_address_agent_and_details(radiologist):
    request = RequestFactory().get("/x", REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Viewer/1.0")
    event = audit_record(actor=radiologist, action="case.viewed", target_type="cases.case",
                         target_id=42, patient=7, request=request, details={"why": "worklist"})
    event.refresh_from_db()
    assert (event.actor_id, event.actor_username, event.action) == (radiologist.pk, "rhea",
                                                                     "case.viewed")
    assert (event.target_type, event.target_id, event.patient_ref) == ("cases.case", "42", "7")
    assert (event.ip, event.user_agent) == ("192.0.2.7", "Viewer/1.0")
    assert event.details == {"why": "worklist"}
    assert event.occurred_at is not None


@pytest.mark.django_db
def test_a_model_instance_as_target_records_its_type_and_id(radiologist):
    event = audit_record(actor=radiologist, action="user.viewed", target=radiologist)
    assert (event.target_type, event.target_id) == ("accounts.user", str(radiologist.pk))


@pytest.mark.django_db
def test_each_row_links_to_the_hash_of_the_row_before(radiologist):
    first = audit_record(actor=radiologist, action="a")
    second = audit_record(actor=radiologist, action="b")
    assert AuditEvent.objects.order_by("id").first().prev_hash == GENESIS_HASH or first.prev_hash
    assert second.prev_hash == first.hash
    assert first.hash != second.hash


@pytest.mark.django_db
def test_the_audit_row_is_rolled_back_with_the_change_it_describes(radiologist):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=radiologist, action="case.updated")
        raise RuntimeError("the change failed")
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_behind_one_trusted_proxy_the_client_address_is_the_last_forwarded_one(settings,
                                                                               radiologist):
    settings.RADCASE_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="172.18.0.5",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    event = audit_record(actor=radiologist, action="x", request=request)
    assert event.ip == "203.0.113.9"  # 6.6.6.6 was sent by the client and could be forged


@pytest.mark.django_db
def test_without_trusted_proxies_a_forwarded_header_is_ignored(radiologist):
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.1",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert audit_record(actor=radiologist, action="x", request=request).ip == "198.51.100.1"


@pytest.mark.django_db
def test_the_orm_refuses_to_update_or_delete_an_event(radiologist):
    event = audit_record(actor=radiologist, action="x")
    event.action = "y"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="y")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
