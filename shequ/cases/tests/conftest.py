import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.cases import services
from shequ.cases.testing import catalogue

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def items(world):
    return catalogue(world)


@pytest.fixture
def photo():
    return SimpleUploadedFile("leak.png", PNG, content_type="image/png")


@pytest.fixture
def case_a(world, items):
    """A leak in A's building, filed at the counter: starts at the compound level."""
    return services.case_submit(
        actor=world.a.worker,
        category=items["water"],
        title="3栋楼道漏水",
        channel="counter",
        place=world.a.building,
        requester_name="张先生",
        requester_phone="13800138000",
    )


@pytest.fixture
def case_b(world, items):
    return services.case_submit(
        actor=world.b.worker,
        category=items["water"],
        title="B社区漏水",
        channel="counter",
        place=world.b.building,
    )


@pytest.fixture
def resident_case(world, items):
    return services.case_submit(
        actor=world.a.resident,
        category=items["noise"],
        title="楼上夜间噪音",
        channel="resident",
        dwelling=world.a.dwellings[0],
    )


def big_file(name="big.png", size=6 * 1024 * 1024):
    return SimpleUploadedFile(name, PNG + b"\x00" * size, content_type="image/png")


__all__ = ["PNG", "big_file", "io"]
