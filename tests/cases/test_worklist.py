"""GET /api/cases/ — the worklist."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.cases.models import Case
from tests.support.factories import in_review_case, make_case, submitted_case

URL = "/api/cases/"


def _ids(response):
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_the_worklist_puts_stat_first_then_urgent_then_routine_then_longest_waiting(
        referring_doctor, radiologist, client_for):
    routine_old = submitted_case(referring_doctor, urgency="routine")
    routine_new = submitted_case(referring_doctor, urgency="routine")
    stat = submitted_case(referring_doctor, urgency="stat")
    urgent = submitted_case(referring_doctor, urgency="urgent")
    Case.objects.filter(pk=routine_old.pk).update(
        submitted_at=timezone.now() - dt.timedelta(hours=5))
    response = client_for(radiologist).get(URL)
    assert _ids(response) == [stat.pk, urgent.pk, routine_old.pk, routine_new.pk]


@pytest.mark.django_db
def test_a_row_has_what_the_worklist_shows(referring_doctor, radiologist, client_for):
    submitted_case(referring_doctor, urgency="urgent")
    row = client_for(radiologist).get(URL).json()["results"][0]
    assert row["patient"]["mrn"].startswith("MRN")
    assert row["patient"]["age"] >= 50
    assert row["urgency"] == "urgent"
    assert row["image_count"] == 1
    assert row["waiting_minutes"] == 0
    assert row["referring_doctor"]["username"] == "rafael"


@pytest.mark.django_db
def test_each_role_sees_only_its_cases(referring_doctor, other_referring_doctor, radiologist,
                                       other_radiologist, admin_user, client_for):
    mine = make_case(referring_doctor)
    pool = submitted_case(referring_doctor)
    rheas = in_review_case(other_referring_doctor, radiologist)
    ottos = in_review_case(other_referring_doctor, other_radiologist)
    assert set(_ids(client_for(referring_doctor).get(URL))) == {mine.pk, pool.pk}
    assert set(_ids(client_for(radiologist).get(URL))) == {pool.pk, rheas.pk}
    assert set(_ids(client_for(admin_user).get(URL))) == {mine.pk, pool.pk, rheas.pk, ottos.pk}


@pytest.mark.django_db
def test_filters_by_status_urgency_modality_and_assignment(referring_doctor, radiologist,
                                                           client_for):
    pool_ct = submitted_case(referring_doctor, modality="CT", urgency="stat")
    pool_mr = submitted_case(referring_doctor, modality="MR")
    mine = in_review_case(referring_doctor, radiologist, modality="MR")
    rhea = client_for(radiologist)
    assert _ids(rhea.get(URL, {"modality": "CT"})) == [pool_ct.pk]
    assert _ids(rhea.get(URL, {"assigned_to_me": "true"})) == [mine.pk]
    assert set(_ids(rhea.get(URL, {"unassigned": "true"}))) == {pool_ct.pk, pool_mr.pk}
    assert _ids(rhea.get(URL, {"urgency": "stat"})) == [pool_ct.pk]
    assert set(_ids(rhea.get(URL, {"status": ["in_review", "submitted"]}))) == {
        pool_ct.pk, pool_mr.pk, mine.pk}


@pytest.mark.django_db
def test_filters_by_submission_date_range(referring_doctor, radiologist, client_for):
    old = submitted_case(referring_doctor)
    new = submitted_case(referring_doctor)
    Case.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(days=10))
    today = timezone.localdate()
    rhea = client_for(radiologist)
    assert _ids(rhea.get(URL, {"submitted_from": today.isoformat()})) == [new.pk]
    assert _ids(rhea.get(URL, {"submitted_to": (today - dt.timedelta(days=5)).isoformat()})) \
        == [old.pk]


@pytest.mark.django_db
def test_text_search_matches_mrn_prefix_or_part_of_the_name(referring_doctor, radiologist,
                                                           client_for):
    doe = submitted_case(referring_doctor, name="Doe, Jane", mrn="A-555")
    roe = submitted_case(referring_doctor, name="Roe, Richard", mrn="B-777")
    rhea = client_for(radiologist)
    assert _ids(rhea.get(URL, {"q": "A-5"})) == [doe.pk]
    assert _ids(rhea.get(URL, {"q": "richard"})) == [roe.pk]


@pytest.mark.django_db
def test_bad_filter_values_get_400_naming_them(radiologist, client_for):
    response = client_for(radiologist).get(URL, {"urgency": "soonish"})
    assert response.status_code == 400
    assert "urgency" in response.json()["error"]["details"]
    response = client_for(radiologist).get(URL, {"submitted_from": "2026-02-01",
                                                 "submitted_to": "2026-01-01"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_worklist_is_paginated(referring_doctor, radiologist, client_for):
    for _ in range(5):
        submitted_case(referring_doctor)
    body = client_for(radiologist).get(URL, {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"]


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_page_size(referring_doctor, radiologist,
                                                                client_for):
    for i in range(12):
        submitted_case(referring_doctor, name=f"Patient {i}")
    rhea = client_for(radiologist)

    def queries(page_size):
        with CaptureQueriesContext(connection) as ctx:
            assert rhea.get(URL, {"page_size": page_size}).status_code == 200
        return len(ctx.captured_queries)

    assert queries(2) == queries(12)


@pytest.mark.django_db
def test_every_case_on_the_page_is_audited_as_listed(referring_doctor, radiologist, client_for):
    cases = [submitted_case(referring_doctor) for _ in range(3)]
    client_for(radiologist).get(URL, {"page_size": 2})
    listed = AuditEvent.objects.filter(action="case.listed", actor=radiologist)
    assert listed.count() == 2
    assert set(listed.values_list("patient_ref", flat=True)) <= {str(c.patient_id) for c in cases}
