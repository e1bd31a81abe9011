"""The API over real HTTP: pytest-django's live server (a real socket, a real WSGI server in
another thread) on a transactional test database, and `requests` as the client.

Only the people and the services are made with factories; everything after that goes through
the API: a token from `POST /api/v1/auth/token` with e-mail and password, then bearer auth.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from atelier.orders.tests.factories import ServiceFactory, World

PASSWORD = "pw-for-tests"  # every factory-made user's


@dataclass
class Reply:
    """One answer: the status, the parsed JSON body (None when not JSON) and the raw bytes."""

    status: int
    body: Any
    content: bytes
    headers: Any

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class Caller:
    """One person at the API: `caller.post("/orders", json={...})` → Reply. Paths are relative
    to /api/v1. `files` is a list of (file name, bytes) sent as repeated `files` fields."""

    def __init__(self, base: str, email: str, token: str | None):
        self.base = base
        self.email = email
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, Any] | None = None,
        files: list[tuple[str, bytes]] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Reply:
        multipart = [("files", (name, content)) for name, content in files or []]
        response = self.http.request(
            method,
            self.base + path,
            json=json,
            data=data,
            files=multipart or None,
            params=params,
            timeout=30,
        )
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return Reply(
            response.status_code,
            response.json() if is_json else None,
            response.content,
            response.headers,
        )

    def get(self, path: str, **kwargs) -> Reply:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Reply:
        return self.call("POST", path, **kwargs)


def get_token(base: str, email: str, password: str = PASSWORD) -> str:
    reply = requests.post(
        f"{base}/auth/token",
        json={"email": email, "password": password, "name": "tests/api"},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["token"]


@dataclass
class People:
    """The world's people, each logged in to the API with their own token."""

    world: World
    customer: Caller
    expert: Caller
    expert2: Caller
    reviewer: Caller
    agent: Caller
    stranger: Caller
    anonymous: Caller


@pytest.fixture
def api_base(live_server) -> str:
    return f"{live_server.url}/api/v1"


@pytest.fixture
def token_for(api_base):
    """`token_for(email)`: a fresh bearer token, got the way an integration gets one."""
    return lambda email: get_token(api_base, email)


@pytest.fixture
def people(live_server, transactional_db, api_base, settings) -> Iterator[People]:
    """The people of a test and the services `resume-writing`, `cover-letter` and
    `translation`, made with factories; everyone gets in with e-mail and password."""
    settings.ATELIER_BASE_URL = live_server.url
    world = World.build()
    ServiceFactory(slug="cover-letter", flow="expert_hub")
    ServiceFactory(slug="translation", flow="marketplace", reward_amount="80.00")
    callers = {
        name: Caller(
            api_base, getattr(world, name).email, get_token(api_base, getattr(world, name).email)
        )
        for name in ("customer", "expert", "expert2", "reviewer", "agent", "stranger")
    }
    crowd = People(world=world, anonymous=Caller(api_base, "", None), **callers)
    yield crowd
    for caller in [*callers.values(), crowd.anonymous]:
        caller.http.close()
