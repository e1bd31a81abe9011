from django.conf import settings
from django.db import models

from atelier.core.models import BaseModel


class RevisionRequest(BaseModel):
    """The customer's request for changes to a delivery, with an agent's triage when the
    service asks for it (DESIGN rule 4)."""

    class Status(models.TextChoices):
        PENDING_TRIAGE = "pending_triage", "Waiting for an agent"  # the service triages requests
        AWAITING_FEE = "awaiting_fee", "Waiting for the customer to accept a fee"  # scope addition
        OPEN = "open", "With the expert"  # the expert works on it
        ANSWERED = "answered", "Answered"  # a revision was delivered
        REJECTED = "rejected", "Rejected"  # an agent turned it down, with a reason
        WITHDRAWN = "withdrawn", "Withdrawn"  # the customer declined the fee, or completed

    class Triage(models.TextChoices):
        IN_SCOPE = "in_scope", "In scope"  # goes to the expert
        FEE = "fee", "Needs a fee"  # the customer is quoted a fee first
        REJECTED = "rejected", "Rejected"  # not done; the reason is given

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="revision_requests"
    )
    submission = models.ForeignKey(
        "orders.Submission", on_delete=models.PROTECT, related_name="revision_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    comments = models.TextField()
    status = models.CharField(max_length=20, choices=Status)
    triage = models.CharField(max_length=10, choices=Triage, blank=True)
    triage_reason = models.TextField(blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Revision request on {self.order}"
