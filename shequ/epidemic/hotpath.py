"""The check-in hot path (ADR 0006): POST /api/v1/epidemic/checkins/ from a phone with an API token, answered in
two statements. Everything the path does is here: the plain-input check, the one context read
(`selectors.checkin_context`: token, user, grants, incident, person), the eligibility predicates
(`policies.can_check_in_for_incident/_person`, the same rules as the querysets of the DRF path), the service
(`services.checkin_submit`) and the JSON out (`checkin_as_json`, CheckInSerializer's output built directly).

Whenever a request is not plainly valid, `answer` returns None before anything is written and the DRF viewset
(`api.CheckInViewSet`) answers with its usual messages. The collection route is mounted a second time ahead of
the router (`ahead_of_router`): URL resolution walks ~200 router patterns before reaching the viewset, a cost each
of the morning's check-ins would pay (bench/emergency). A request is tried once, whichever route it took."""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils.dateparse import parse_date
from django.views.decorators.csrf import csrf_exempt

from shequ.epidemic import policies, selectors, services
from shequ.epidemic.models import CheckIn

_TRIED = "_shequ_checkin_fast_tried"


def answer(request) -> HttpResponse | None:
    """The fast answer to a check-in POST, or None for the DRF path. Tried once per request: the route ahead of
    the router and the viewset's dispatch both call it, and a request the first declined is not read again."""
    if getattr(request, _TRIED, False):
        return None
    setattr(request, _TRIED, True)
    return _answer(request)


def ahead_of_router(view):
    """The router's collection view for epidemic/checkins/, wrapped in a plain function mounted ahead of the
    router. Being no APIView, the wrapper stays out of the OpenAPI schema, which documents the router's route
    (the same view)."""

    def checkins(request, *args, **kwargs):
        if request.method == "POST":
            response = answer(request)
            if response is not None:
                return response
        return view(request, *args, **kwargs)

    return csrf_exempt(checkins)


def _checkin_input(body: bytes) -> dict | None:
    """The check-in fields when the body is plainly valid; None sends the request down the full DRF path, which
    answers anything else with its usual field messages (CheckInIn)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        client_uuid = uuid.UUID(data["client_uuid"]) if isinstance(data.get("client_uuid"), str) else None
    except ValueError:
        return None
    incident, person = data.get("incident"), data.get("person")
    temperature = data.get("temperature")
    has_symptoms = data.get("has_symptoms", False)
    symptoms = data.get("symptoms", "")
    on = data.get("on")
    if (
        client_uuid is None
        or type(incident) is not int
        or type(person) is not int
        or not isinstance(temperature, str)
        or not 0 < len(temperature.strip()) <= 8
        or type(has_symptoms) is not bool
        or not isinstance(symptoms, str)
        or len(symptoms.strip()) > 200
    ):
        return None
    if on is not None:
        try:
            on = parse_date(on) if isinstance(on, str) else None
        except ValueError:
            on = None
        if on is None:
            return None
    return {
        "client_uuid": client_uuid,
        "incident": incident,
        "person": person,
        "temperature": temperature.strip(),
        "has_symptoms": has_symptoms,
        "symptoms": symptoms.strip(),
        "on": on,
    }


def checkin_as_json(checkin: CheckIn) -> dict:
    """CheckInSerializer's output, built directly (tests compare the two)."""
    return {
        "id": checkin.pk,
        "client_uuid": str(checkin.client_uuid),
        "incident": checkin.incident_id,
        "person": checkin.person_id,
        "on": checkin.on.isoformat(),
        "temperature": f"{checkin.temperature:.1f}",
        "has_symptoms": checkin.has_symptoms,
        "symptoms": checkin.symptoms,
        "is_over_threshold": checkin.is_over_threshold,
        "channel": checkin.channel,
        "is_drill": checkin.is_drill,
    }


def _wants_plain_json(accept: str) -> bool:
    """DRF would answer with its JSON renderer: no Accept, or one naming JSON or */* and not HTML (the browsable
    API)."""
    accept = accept.lower()
    return not accept.strip() or (
        "text/html" not in accept and ("application/json" in accept or "*/*" in accept)
    )


def _answer(request) -> HttpResponse | None:
    """POST /epidemic/checkins/ with an API token, in two statements: one read (token, user, grants, incident,
    person, checkin_context) and one write (check-in and audit row, insert_with_audit). Phones send these by the
    thousand in the morning (bench/emergency). Authentication, visibility and validation are the same as the DRF
    path's; whenever the request is not a plain valid one (session cookie, unknown token, another format, a field
    to complain about, a refusal from the service) this returns None and the DRF path answers, with its messages.
    Nothing has been written at that point."""
    if connection.vendor != "postgresql":
        return None
    auth = request.META.get("HTTP_AUTHORIZATION", "").split()
    if (
        len(auth) != 2
        or auth[0] != "Token"
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or request.content_type != "application/json"
        or not _wants_plain_json(request.META.get("HTTP_ACCEPT", ""))
    ):
        return None
    data = _checkin_input(request.body)
    if data is None:
        return None
    context = selectors.checkin_context(
        token_key=auth[1], incident_id=data["incident"], person_id=data["person"]
    )
    if context is None:
        return None
    user, user_grants, incident, person = context
    if not user.is_active or incident is None or person is None:
        return None
    user._shequ_grants = user_grants  # core.jurisdiction.grants() reads them from here, no statement
    if not (
        policies.can_check_in_for_incident(user, incident) and policies.can_check_in_for_person(user, person)
    ):
        return None
    try:
        checkin, created = services.checkin_submit(
            actor=user,
            incident=incident,
            person=person,
            client_uuid=data["client_uuid"],
            temperature=data["temperature"],
            has_symptoms=data["has_symptoms"],
            symptoms=data["symptoms"],
            on=data["on"],
        )
    except (DjangoValidationError, DjangoPermissionDenied):
        return None
    response = JsonResponse(
        checkin_as_json(checkin),
        status=201 if created else 200,
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
    response["Vary"] = "Accept"
    response["Allow"] = "GET, POST, HEAD, OPTIONS"
    return response
