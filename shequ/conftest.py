"""Personas shared by every test: a worker of community A, a worker of community B, a street officer over both,
a volunteer, a resident, and anonymous. `world` builds them once per test (inside the test transaction)."""

from __future__ import annotations

import pytest
from django.test import Client

from shequ.testing.world import PASSWORD, World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def worker_a(world):
    return world.a.worker


@pytest.fixture
def worker_b(world):
    return world.b.worker


@pytest.fixture
def street_officer(world):
    return world.street_officer


@pytest.fixture
def volunteer(world):
    return world.a.volunteer


@pytest.fixture
def resident(world):
    return world.a.resident


@pytest.fixture
def client_a(worker_a) -> Client:
    return _client_for(worker_a)


@pytest.fixture
def client_b(worker_b) -> Client:
    return _client_for(worker_b)


@pytest.fixture
def client_officer(street_officer) -> Client:
    return _client_for(street_officer)


@pytest.fixture
def client_for():
    return _client_for


@pytest.fixture
def anon_client() -> Client:
    return Client()


@pytest.fixture
def password() -> str:
    return PASSWORD
