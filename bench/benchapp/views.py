"""Bare check-in endpoints: bench/emergency measures the real check-in endpoint (epidemic.hotpath) against bare
Django views that insert the same row with no authentication, validation, idempotency or audit."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from bench.benchapp.models import BareCheckIn
from shequ.epidemic.models import CheckIn
from shequ.ledger.models import Person
from shequ.places.models import Dwelling


@csrf_exempt
def bare_checkin(request):
    """Five columns into a side table with a primary key only (the earlier baseline)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    data = json.loads(request.body)
    row = BareCheckIn.objects.create(
        client_uuid=data["client_uuid"],
        incident_id_value=data["incident"],
        person_id_value=data["person"],
        on=data.get("on") or "2026-01-01",
        temperature=data["temperature"],
    )
    return JsonResponse({"id": row.pk}, status=201)


@csrf_exempt
def bare_checkin_row(request):
    """The same CheckIn row the real endpoint writes (same table, constraints and indexes; the dwelling and its
    place columns copied from the person's home), dated yesterday so it never meets the real endpoint's rows, in
    one INSERT … SELECT. A conflict on a resend is skipped by the database (ON CONFLICT DO NOTHING)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    data = json.loads(request.body)
    # Table names from the models' own meta, no input in them.
    checkins, people, dwellings = CheckIn._meta.db_table, Person._meta.db_table, Dwelling._meta.db_table
    sql = (
        f"INSERT INTO {checkins} (client_uuid, incident_id, is_drill, person_id, dwelling_id, "
        'community_id, building_id, "on", temperature, has_symptoms, symptoms, is_over_threshold, channel, '
        "reported_by_id, created_at) "
        "SELECT %s, %s, false, p.id, d.id, d.community_id, d.building_id, CURRENT_DATE - 1, %s, false, '', false, "
        f"'self', NULL, now() FROM {people} p JOIN {dwellings} d ON d.id = p.home_id "
        "WHERE p.id = %s ON CONFLICT DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [data["client_uuid"], data["incident"], data["temperature"], data["person"]])
        row = cursor.fetchone()
    return JsonResponse({"id": row[0] if row else None}, status=201 if row else 200)
