import secrets
import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models

from atelier.core import clock
from atelier.core.models import BaseModel

from . import events

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Endpoint(BaseModel):
    """A URL that receives signed webhook requests for the events it subscribes to. Registered
    by agents; every agent sees and manages every endpoint (they are the platform's)."""

    url = models.URLField(
        "URL", max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    description = models.CharField(max_length=200, blank=True)
    # Kept readable, not hashed: every request is signed with it.
    secret = models.CharField(max_length=100, default=new_secret)
    # Event names from events.EVENTS, or ["*"] for all of them.
    events = models.JSONField(default=list)
    is_active = models.BooleanField("active", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return events.ALL in self.events or event in self.events

    @property
    def subscribes_to_all(self) -> bool:
        return events.ALL in self.events


class Delivery(models.Model):
    """One event for one endpoint: written in the transaction of the change that caused it (the
    durable record), then sent by the worker, retried with back-off, and kept as the log."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # waiting for the worker (first try, or a retry's back-off)
        SENDING = "sending", "Sending"  # claimed by a worker until lease_expires_at
        DELIVERED = "delivered", "Delivered"  # the endpoint answered 2xx
        FAILED = "failed", "Failed"  # gave up after the last attempt; an agent may retry

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    # The same for every endpoint receiving this event, and for every attempt: receivers use it
    # to recognise a repeat (idempotency).
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField()  # the snapshot taken when the event happened
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True)  # the first 2,000 characters
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="one_delivery_per_event"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id}"
