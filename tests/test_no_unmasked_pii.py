"""No page or API response shows an ID number or phone in clear, except the reveal action's own answer.

Reuses the jurisdiction walk's discovery (tests/routewalk.py): every route, found at run time, is fetched by
community A's worker and department liaison with the primary keys and codes of both communities' rows, after
reveals have been made (so audit pages have reveal rows to show). Every person's ID number and phone is decrypted
from the database and looked for in every body, in 18-digit, 15-digit and separated forms.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import transaction
from django.test import Client

from shequ.core import idnumbers, pii
from shequ.core.jurisdiction import SYSTEM
from shequ.ledger import services
from shequ.ledger.models import Person
from tests import routewalk

pytestmark = pytest.mark.django_db


def _plain_values() -> list[str]:
    values = []
    for person in Person.objects.all():
        for token in (person.id_number_encrypted, person.phone_encrypted):
            value = pii.decrypt(token)
            if value:
                values.append(value)
                digits = re.sub(r"\D", "", value)
                if len(digits) >= 7 and digits != value:
                    values.append(digits)
                if len(value) == 11 and value.isdigit():
                    values += [
                        f"{value[:3]} {value[3:7]} {value[7:]}",
                        f"{value[:3]}-{value[3:7]}-{value[7:]}",
                    ]
    return values


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def pii_world(world):
    routewalk.populate_apps(world)
    legacy = services.person_create(
        actor=SYSTEM,
        community=world.a.community,
        name="老证件",
        id_number="110105400102003",  # a valid 15-digit (first-generation) number
        phone="028-85551234",
        phone_is_landline=True,
    )
    services.residency_create(actor=SYSTEM, person=legacy, dwelling=world.a.dwellings[2], role="occupant")
    # reveals leave audit rows; the audit pages must still not show the values
    services.person_reveal(actor=world.a.worker, person=world.a.head, field="id_number", reason="核对身份")
    services.person_reveal(actor=world.a.worker, person=world.a.head, field="phone", reason="联系本人")
    services.person_reveal(actor=world.b.worker, person=world.b.head, field="phone", reason="联系本人")
    return world


def test_plain_values_are_known(pii_world):
    values = _plain_values()
    assert idnumbers.make("110105", date(1970, 5, 4), 10, female=False) in values
    assert "028-85551234" in values and "13800131001" in values


def test_no_route_shows_an_unmasked_id_number_or_phone(pii_world):
    world = pii_world
    plain = _plain_values()
    routes, _ = routewalk.discover_routes()
    owned = routewalk.owned_rows(routewalk.side_seeds(world.a))
    for model, pks in routewalk.owned_rows(routewalk.side_seeds(world.b)).items():
        owned.setdefault(model, set()).update(pks)
    # (no query carries a full number: a page may rightly echo what the user typed into its search box)
    variants = ["", "?q=1001", "?q=zw", f"?person={world.a.head.pk}"]
    failures = []
    checked = 0
    for persona, user in (("worker_a", world.a.worker), ("liaison_a", world.a.liaison)):
        client = _client(user)
        for route in routes:
            if route.kwargs:
                urls = routewalk.url_combos(route, routewalk.route_candidates(route, owned))
            else:
                urls = [route.template + v for v in variants]
            for url in urls:
                with transaction.atomic():
                    response = client.get(url)
                    text = routewalk.body_text(response)
                    transaction.set_rollback(True)
                if response.status_code == 405:
                    break
                checked += 1
                if response.status_code >= 500:
                    failures.append(f"GET {url} as {persona} -> {response.status_code}")
                shown = [v for v in plain if v in text]
                if shown:
                    failures.append(
                        f"GET {url} as {persona} -> {response.status_code} shows {len(shown)} unmasked value(s)"
                    )
    assert checked > 100
    assert not failures, "\n".join(failures[:60])


def test_reveal_answer_is_the_only_place_a_value_appears(pii_world):
    world = pii_world
    client = _client(world.a.worker)
    response = client.post(
        f"/api/v1/people/{world.a.spouse.pk}/reveal/",
        {"field": "phone", "reason": "电话回访"},
        content_type="application/json",
    )
    assert response.status_code == 200
    value = response.json()["value"]
    assert value == pii.decrypt(world.a.spouse.phone_encrypted)
    for url in (
        f"/api/v1/people/{world.a.spouse.pk}/",
        f"/api/v1/households/{world.a.household.pk}/",
        "/api/v1/people/",
    ):
        assert value not in client.get(url).content.decode()


def test_search_by_full_number_answers_masked(pii_world):
    world = pii_world
    client = _client(world.a.worker)
    for value in (pii.decrypt(world.a.head.id_number_encrypted), "13800131001"):
        response = client.get("/api/v1/people/", {"q": value})
        body = response.json()
        assert [row["id"] for row in body["results"]] == [world.a.head.pk]
        assert value not in response.content.decode()
