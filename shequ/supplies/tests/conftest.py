import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the test database is rolled back after a test, a process-wide
    cache is not."""
    cache.clear()
    yield
    cache.clear()
