"""Imports tests: uploaded files go to a temporary MEDIA_ROOT; background tasks run at once."""

import pytest


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def survey_a(world):
    from shequ.imports import services
    from shequ.imports.models import DataSource

    return services.source_create(
        actor=world.a.worker, owner=world.a.community, name="A社区入户走访", kind=DataSource.Kind.SURVEY
    )


@pytest.fixture
def police(world):
    from shequ.imports import services

    services.sources_ensure_defaults(street=world.street)
    from shequ.imports.models import DataSource

    return DataSource.objects.get(owner=world.street, kind=DataSource.Kind.POLICE)


@pytest.fixture
def property_list(world):
    from shequ.imports import services

    services.sources_ensure_defaults(street=world.street)
    from shequ.imports.models import DataSource

    return DataSource.objects.get(owner=world.street, kind=DataSource.Kind.PROPERTY)


@pytest.fixture(autouse=True)
def _fallback_linking(request, monkeypatch):
    """These tests pin the exact-ID fallback; shequ.linkage tests its own link_import_batch."""
    if "uses_linkage" not in request.keywords:
        from shequ.imports import linkers

        monkeypatch.setattr(linkers, "_linker", None)
