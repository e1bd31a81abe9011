"""`/webhooks`: agents register, read and delete webhook endpoints and read their delivery log
(docs/webhooks.md). Anyone else gets 403. The same actions as the console's pages."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from atelier.webhooks import actions
from atelier.webhooks.events import ALL, EVENTS
from atelier.webhooks.models import Delivery, Endpoint

from .pagination import Limit, paginate
from .schemas import Input

router = Router(tags=["webhooks"])


class EndpointIn(Input):
    url: str = Field(
        ...,
        max_length=500,
        description="http or https, at a public address: internal ones are refused (400).",
        examples=["https://example.com/atelier/webhooks"],
    )
    events: list[str] = Field(
        ...,
        description=f'Event names ({", ".join(EVENTS)}), or ["{ALL}"] for all of them.',
        examples=[["order.completed"]],
    )
    description: str = Field("", max_length=200)


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    secret: str = Field(..., description="Signs every request (HMAC-SHA256); keep it private.")
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class EndpointPage(Schema):
    items: list[EndpointOut]
    next_cursor: str | None


class DeliveryOut(Schema):
    id: int
    endpoint: int
    event: str
    event_id: UUID = Field(..., description="The same on every attempt and for every endpoint.")
    order: int | None
    status: str = Field(..., description="pending, sending, delivered or failed")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_response: str = Field(..., description="The start of the endpoint's last answer.")
    last_error: str
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class PageQuery(Schema):
    cursor: str | None = None
    limit: Limit = None


def endpoint_out(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
        "secret": endpoint.secret,
        "created_by": endpoint.created_by.email if endpoint.created_by_id else None,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "endpoint": delivery.endpoint_id,
        "event": delivery.event,
        "event_id": delivery.event_id,
        "order": delivery.order_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_response": delivery.last_response,
        "last_error": delivery.last_error,
        "last_attempt_at": delivery.last_attempt_at,
        "delivered_at": delivery.delivered_at,
        "created_at": delivery.created_at,
        "payload": delivery.payload,
    }


def _endpoint(request: HttpRequest, endpoint_id: int) -> Endpoint:
    actions.require_manager(request.auth)
    return actions.get_endpoint_for(request.auth, endpoint_id)


@router.get("/webhooks", response=EndpointPage, summary="List webhook endpoints (agents)")
def list_endpoints(request: HttpRequest, page: Query[PageQuery]):
    actions.require_manager(request.auth)
    endpoints = actions.endpoints_for(request.auth).select_related("created_by")
    return paginate(endpoints, cursor=page.cursor, limit=page.limit, render=endpoint_out)


@router.post("/webhooks", response={201: EndpointOut}, summary="Register a webhook endpoint")
def create_endpoint(request: HttpRequest, payload: EndpointIn):
    """Returns the endpoint with its signing `secret`; give it to the receiver."""
    endpoint = actions.create_endpoint(
        actor=request.auth, url=payload.url, events=payload.events, description=payload.description
    )
    return Status(201, endpoint_out(endpoint))


@router.get("/webhooks/{int:endpoint_id}", response=EndpointOut, summary="Read an endpoint")
def get_endpoint(request: HttpRequest, endpoint_id: int):
    return endpoint_out(_endpoint(request, endpoint_id))


@router.delete(
    "/webhooks/{int:endpoint_id}", response={204: None}, summary="Delete an endpoint and its log"
)
def delete_endpoint(request: HttpRequest, endpoint_id: int):
    """Nothing more is sent to it, including deliveries still waiting."""
    actions.delete_endpoint(_endpoint(request, endpoint_id), actor=request.auth)
    return Status(204, None)


@router.post(
    "/webhooks/{int:endpoint_id}/ping", response={202: DeliveryOut}, summary="Send a test event"
)
def ping(request: HttpRequest, endpoint_id: int):
    return Status(
        202,
        delivery_out(actions.send_test_event(_endpoint(request, endpoint_id), actor=request.auth)),
    )


@router.get(
    "/webhooks/{int:endpoint_id}/deliveries",
    response=DeliveryPage,
    summary="An endpoint's delivery log, newest first",
)
def list_deliveries(request: HttpRequest, endpoint_id: int, page: Query[PageQuery]):
    endpoint = _endpoint(request, endpoint_id)
    return paginate(
        endpoint.deliveries.all(), cursor=page.cursor, limit=page.limit, render=delivery_out
    )
