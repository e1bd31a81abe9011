"""Settings every test shares: a fast password hasher and a throw-away media directory."""

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--deep",
        action="store_true",
        help="explore more: ten times the generated sequences of the property tests",
    )


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # A fresh in-memory cache per test (no failed-login counts carried over); the database cache
    # that production shares between processes has its own test in accounts/tests/test_trust.py.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ATELIER_BASE_URL = "http://testserver"


@pytest.fixture
def world(db):
    from atelier.orders.tests.factories import World

    return World.build()
