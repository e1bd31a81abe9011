import pytest

from .apiclient import Api


@pytest.fixture
def api(db) -> Api:
    """`api.as_(world.customer).get("/orders")` → (status, body)."""
    return Api({})
