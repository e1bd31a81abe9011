"""Calling the API in-process, as an integration would: a bearer token per person, JSON bodies
or multipart uploads, answers as (status, parsed JSON)."""

import json as jsonlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client

from atelier.accounts.models import User
from atelier.accounts.tokens import issue_token
from atelier.catalog.models import Policy, Service
from atelier.notifications.models import Notification
from atelier.orders.models import (
    AccessLink,
    Appeal,
    Comment,
    Event,
    ExtensionRequest,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    QCReview,
    Rating,
    RevisionItem,
    RevisionRequest,
    Submission,
)
from atelier.rewards.models import LedgerEntry
from atelier.webhooks.models import Delivery, Endpoint

PREFIX = "/api/v1"
Upload = tuple[str, bytes]  # (file name, content)


class Api:
    """`api.as_(user).post("/orders", json={...})` → (status, body). Paths are relative to
    /api/v1; `api.anonymous` sends no credentials; `.call(...)` gives the raw response."""

    def __init__(self, tokens: dict[int, str], user: User | None = None):
        self._tokens = tokens  # one token per person per test, shared by every `as_`
        self.user = user

    def as_(self, user: User | None) -> "Api":
        if user is not None and user.pk not in self._tokens:
            self._tokens[user.pk] = issue_token(user, name="t")[1]
        return Api(self._tokens, user)

    @property
    def anonymous(self) -> "Api":
        return Api(self._tokens, None)

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        raw: str | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, list[Upload]] | None = None,
        query: dict[str, Any] | None = None,
    ) -> HttpResponse:
        headers = {}
        if self.user is not None:
            headers["authorization"] = f"Bearer {self._tokens[self.user.pk]}"
        client = Client()
        url = PREFIX + path
        if method == "GET":
            return client.get(url, query or {}, headers=headers)
        if files is not None or data is not None:
            form = dict(data or {})
            for field, uploads in (files or {}).items():
                form[field] = [SimpleUploadedFile(name, content) for name, content in uploads]
            return client.post(url, form, headers=headers)  # multipart
        body = raw if raw is not None else jsonlib.dumps({} if json is None else json)
        return client.generic(method, url, body, content_type="application/json", headers=headers)

    def get(self, path: str, **query: Any) -> tuple[int, Any]:
        return _parsed(self.call("GET", path, query=query))

    def post(self, path: str, json: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return _parsed(self.call("POST", path, json=json, **kwargs))


def _parsed(response: HttpResponse) -> tuple[int, Any]:
    """JSON parsed; anything else (a download) as its bytes."""
    if response.get("Content-Type", "").startswith("application/json"):
        return response.status_code, response.json()
    if response.streaming:
        return response.status_code, b"".join(response.streaming_content)
    return response.status_code, response.content


def error_of(body: dict) -> dict:
    """The error object, after checking the one error shape every failure has."""
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body
    assert set(error) <= {"code", "message", "field"}, body
    return error


def snapshot() -> dict[str, Any]:
    """Every row an API call could write (tokens aside: using one stamps last_used_at)."""
    models = [Order, Invitation, Submission, OrderFile, QCReview, RevisionRequest, FeeRequest]
    models += [Flag, Comment, Event, LedgerEntry, Notification, AccessLink, Endpoint, Delivery]
    models += [ExtensionRequest, Policy, Service, Rating, Appeal, RevisionItem]
    rows: dict[str, Any] = {m.__name__: list(m.objects.order_by("pk").values()) for m in models}
    rows["users"] = User.objects.count()
    return rows
