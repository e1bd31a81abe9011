from django.conf import settings
from django.db import models
from django.db.models import Q

from atelier.core.models import BaseModel


class Invitation(BaseModel):
    """An offer of an order to one pro (booking, speedy and contest orders)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"  # the pro has not answered
        ACCEPTED = "accepted", "Accepted"  # this pro won the order
        DECLINED = "declined", "Declined"  # the pro said no
        TAKEN = "taken", "Taken by another pro"  # someone else was first; no access any more
        WITHDRAWN = "withdrawn", "Withdrawn"  # the order was cancelled

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="invitations")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "expert"], name="one_invitation_per_expert"),
            # The guarantee behind "first accept wins" (DESIGN rule 1).
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="accepted"),
                name="one_accepted_invitation_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.expert} to {self.order}"
