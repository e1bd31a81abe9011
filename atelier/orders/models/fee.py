from django.conf import settings
from django.db import models
from django.db.models import Q

from atelier.core.models import BaseModel


class FeeRequest(BaseModel):
    """An extra fee for added scope: asked by the expert (an agent decides) or quoted by an agent
    at triage; the customer accepts it before work resumes. Accepted fees go to the expert."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for an agent"  # the expert asked
        QUOTED = "quoted", "Quoted to the customer"  # an agent approved; the customer decides
        ACCEPTED = "accepted", "Accepted"  # the customer agreed; credited to the expert
        DECLINED = "declined", "Declined by the customer"  # the customer said no
        REJECTED = "rejected", "Rejected by an agent"  # an agent said no

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="fee_requests")
    revision_request = models.ForeignKey(
        "orders.RevisionRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fee_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fee_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Fee {self.amount} {self.currency} on {self.order}"
