from django.conf import settings
from django.db import models
from django.db.models import Q

from atelier.core.models import BaseModel


class ExtensionRequest(BaseModel):
    """The expert asks for more time: a new due date and why, once per delivery round; the
    customer (or an agent) accepts, which moves the order's due date, or declines."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="extensions")
    # The deliveries the customer had when it was asked: one request per round.
    round = models.PositiveSmallIntegerField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due_at_before = models.DateTimeField()
    requested_due_at = models.DateTimeField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "round"], name="one_extension_per_round"),
            models.CheckConstraint(
                condition=Q(requested_due_at__gt=models.F("due_at_before")),
                name="extension_moves_the_due_date_on",
            ),
        ]

    def __str__(self) -> str:
        return f"Extension to {self.requested_due_at:%Y-%m-%d} on {self.order}"
