from django.conf import settings
from django.db import models
from django.db.models import Q

from atelier.core.models import BaseModel


class Flag(BaseModel):
    """Something an agent must look at. Raised by a person or by the system."""

    class Kind(models.TextChoices):
        EXCESSIVE_REVISIONS = "excessive_revisions", "Excessive revisions"  # the expert's call
        OVER_BUDGET = "over_budget", "Revisions beyond the allowance"  # automatic (rule 5)
        COMPLETION_REQUEST = "completion_request", "Asked an agent to complete"  # writer portal
        CLOSE_REQUEST = "close_request", "Asked an agent to close"  # expert hub, gated close
        CONCERN = "concern", "Concern"  # the customer or the expert is worried
        OVERDUE = "overdue", "Past its due date"  # automatic

    # Kinds the system raises; at most one of each is open per order.
    SYSTEM_KINDS = (Kind.OVER_BUDGET, Kind.OVERDUE)

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="flags")
    kind = models.CharField(max_length=20, choices=Kind)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        # "Has open flags" (the console's filter and badge) reads only the open ones.
        indexes = [
            models.Index(
                fields=["order"], condition=Q(resolved_at__isnull=True), name="flag_open_by_order"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(resolved_at__isnull=True, kind__in=["over_budget", "overdue"]),
                name="one_open_system_flag_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.order}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
