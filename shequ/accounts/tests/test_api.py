"""Accounts API: tokens for machines and the caller's roles and rights."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def test_token_roundtrip(world, password):
    client = APIClient()
    r = client.post("/api/v1/auth/token/", {"username": "grid_a", "password": password}, format="json")
    assert r.status_code == 200
    token = r.json()["token"]
    again = client.post("/api/v1/auth/token/", {"username": "grid_a", "password": password}, format="json")
    assert again.json()["token"] == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/").json()
    assert me["roles"][0]["role"] == "grid_worker" and me["roles"][0]["grid"] == world.a.grid.pk
    assert "ledger.view" in me["rights"] and "pii.reveal" not in me["rights"]


def test_token_errors_are_400_not_500(world):
    client = APIClient()
    assert client.post("/api/v1/auth/token/", {}, format="json").status_code == 400
    r = client.post("/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json")
    assert r.status_code == 400 and "non_field_errors" in r.json()
    r = client.post("/api/v1/auth/token/", "garbage", content_type="application/json")
    assert r.status_code == 400
    assert not Token.objects.exists()


def test_me_needs_authentication(world):
    assert APIClient().get("/api/v1/me/").status_code in (401, 403)


def test_resident_sees_own_role_only(world):
    client = APIClient()
    client.force_authenticate(world.a.resident)
    me = client.get("/api/v1/me/").json()
    assert [r["role"] for r in me["roles"]] == ["resident"]
    assert me["roles"][0]["household"] == world.a.household.pk
    assert client.get("/api/v1/people/").json()["count"] == 0
