"""The OpenAPI document: generated without errors, every operation described, no protected field in it; and a
schemathesis run of the places and ledger operations against the live WSGI app, authenticated by token as
community A's worker, finding no server error and no response that breaks the documented schema."""

from __future__ import annotations

import io
import re

import pytest
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections, transaction
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

FUZZED_PREFIXES = (
    "/api/v1/places/",
    "/api/v1/grids/",
    "/api/v1/dwellings/",
    "/api/v1/people/",
    "/api/v1/households/",
    "/api/v1/residencies/",
    "/api/v1/tags/",
    "/api/v1/needs/",
    "/api/v1/duties/",
)


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_generates_and_validates_without_errors():
    out, err = io.StringIO(), io.StringIO()
    call_command("spectacular", "--validate", "--format", "openapi-json", stdout=out, stderr=err)
    report = err.getvalue()
    match = re.search(r"Errors:\s+(\d+)", report)
    assert match is None or match.group(1) == "0", report
    warnings = [line for line in report.splitlines() if "Warning" in line]
    # Two serializers with one component name: one silently replaces the other in the document.
    collisions = [line for line in warnings if "identical names" in line]
    assert not collisions, "\n".join(collisions)
    # The places, ledger and accounts APIs document themselves without guesses.
    ours = [line for line in warnings if re.search(r"shequ/(places|ledger|accounts|core)/", line)]
    assert not ours, "\n".join(ours)
    assert '"/api/v1/people/"' in out.getvalue()


def test_every_operation_is_described_and_no_protected_field_is_exposed():
    schema = _schema()
    undescribed = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        if path.startswith(FUZZED_PREFIXES + ("/api/v1/me/", "/api/v1/auth/"))
        for method, op in item.items()
        if not op.get("summary")
    ]
    assert not undescribed, undescribed
    for name, component in schema["components"]["schemas"].items():
        for prop in component.get("properties", {}):
            assert not prop.endswith(("_encrypted", "_hash")), f"{name}.{prop}"
    assert "tokenAuth" in str(schema["components"].get("securitySchemes", {}))


@pytest.fixture
def live_app(settings):
    """The WSGI app, with Django's per-request connection closing switched off so requests run inside the
    test's transaction (as Django's own test client does)."""
    from django.core.wsgi import get_wsgi_application

    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
def test_schemathesis_places_and_ledger(world, live_app):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hsettings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    token = Token.objects.create(user=world.a.worker).key
    schema = schemathesis.openapi.from_dict(_schema())
    schema.app = live_app
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith(FUZZED_PREFIXES) and result.ok().method.upper() in ("GET", "POST")
    ]
    assert len(operations) >= 20
    failures = []
    for operation in operations:

        @hsettings(
            max_examples=10,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            with transaction.atomic():
                response = case.call(headers={"Authorization": f"Token {token}"})
                transaction.set_rollback(True)
            case.validate_response(
                response,
                checks=[not_a_server_error, response_schema_conformance],
            )

        try:
            run()
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
