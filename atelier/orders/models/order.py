from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from atelier.catalog.models import Service
from atelier.core.models import BaseModel


class Order(BaseModel):
    """A piece of work a customer ordered. Its behaviour is set by three fields chosen at
    creation (assignment, qc_required, expert_may_close); the three flows are presets of them."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"  # created; no expert and no invitation yet
        INVITED = "invited", "Invited"  # invitations are out; nobody has accepted
        IN_PROGRESS = "in_progress", "In progress"  # an expert works on the first delivery
        IN_QC = "in_qc", "In QC"  # a submission waits for a reviewer, unseen by the customer
        DELIVERED = "delivered", "Delivered"  # the customer has the first delivery
        REVISION_REQUESTED = (
            "revision_requested",
            "Revision requested",
        )  # customer asked for changes
        REVISION_SUBMITTED = "revision_submitted", "Revision delivered"  # customer has a revision
        COMPLETED = "completed", "Completed"  # done; only agents may change it now
        CANCELLED = "cancelled", "Cancelled"  # stopped before completion

    class Assignment(models.TextChoices):
        DIRECT = "direct", "Direct (an agent assigns)"  # writer portal, expert hub
        BOOKING = "booking", "Booking (the invited pro)"  # marketplace: a chosen pro
        SPEEDY = "speedy", "Speedy (first to accept)"  # marketplace: first accept wins
        CONTEST = "contest", "Contest (first to accept)"  # marketplace: first accept wins

    # The three flows of DESIGN.md, named once in the catalog (a service's default flow).
    Flow = Service.Flow

    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="orders")
    # The service's policy when the order was placed: its moments never move when that changes.
    policy = models.ForeignKey("catalog.Policy", on_delete=models.PROTECT, related_name="orders")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_orders",
    )
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    assignment = models.CharField(max_length=10, choices=Assignment, default=Assignment.DIRECT)
    qc_required = models.BooleanField(default=False)
    expert_may_close = models.BooleanField(default=False)
    reward_amount = models.DecimalField(max_digits=12, decimal_places=2)
    reward_currency = models.CharField(max_length=3, default="USD")
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.OPEN, db_index=True)
    # A cache of rules.closing_eligibility, refreshed on every delivery, so lists can filter on it.
    closable_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the customer first had a delivery: the due date is for it (an order is overdue only
    # without one), as a column so that lists filter on the row alone.
    first_delivered_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The closable_at moment the expert was told about (the sweep tells them once per moment).
    closable_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The response clock of the latest delivery (rules.response_moments), set at each delivery:
    # when the customer is reminded of it, when the order completes if nobody answers (None:
    # never), and when the customer was told so, 24 hours before (the sweep does each once).
    remind_at = models.DateTimeField(null=True, blank=True, editable=False)
    auto_complete_at = models.DateTimeField(null=True, blank=True, editable=False)
    auto_complete_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    linked_order = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="linked_from",
        help_text="The follow-up order (a translation's proofreading).",
    )
    # QC: the reviewer who holds the order's submission (a claim until qc_claimed_until), or
    # who sent the last round back: the rework returns to them (actions/quality.py).
    qc_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    qc_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        # The lists read orders newest first by (created_at, id), a page at a time from a
        # cursor (core/keyset.py): each index serves one list's filter in that order.
        indexes = [
            models.Index(fields=["created_at", "id"], name="order_newest"),
            models.Index(fields=["status", "created_at", "id"], name="order_by_status"),
            models.Index(fields=["service", "created_at", "id"], name="order_by_service"),
            models.Index(fields=["customer", "created_at", "id"], name="order_by_customer"),
            # The expert's dashboard: their active orders, and the latest they completed.
            models.Index(fields=["expert", "status", "completed_at"], name="order_by_expert"),
            # The console's "due soonest": orders still owed their first delivery.
            models.Index(
                fields=["due_at", "-id"],
                name="order_due_undelivered",
                condition=Q(first_delivered_at__isnull=True)
                & ~Q(status__in=["completed", "cancelled"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reward_amount__gte=0), name="order_reward_not_negative"
            ),
            # Once work has started there is exactly one expert (DESIGN rule 1).
            models.CheckConstraint(
                condition=Q(status__in=["open", "invited", "cancelled"]) | Q(expert__isnull=False),
                name="order_in_work_has_expert",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def save(self, *args, **kwargs):
        if self.policy_id is None:
            self.policy_id = Service.objects.values_list("policy", flat=True).get(
                pk=self.service_id
            )
        super().save(*args, **kwargs)

    @property
    def flow(self) -> str:
        if self.assignment != self.Assignment.DIRECT:
            return self.Flow.MARKETPLACE
        return self.Flow.EXPERT_HUB if self.expert_may_close else self.Flow.WRITER_PORTAL

    def get_flow_display(self) -> str:
        return self.Flow(self.flow).label

    @property
    def expert_closable_at(self) -> datetime | None:
        """When the expert may close it (rule 7): only in flows where the expert closes; the
        others end with the customer's (or an agent's) completion and have no closing date."""
        return self.closable_at if self.expert_may_close else None

    @property
    def is_speedy_like(self) -> bool:
        """Whether many pros race for it (first accept wins)."""
        return self.assignment in {self.Assignment.SPEEDY, self.Assignment.CONTEST}


# The three flows of DESIGN.md as presets of the order's fields.
FLOW_PRESETS: dict[str, dict[str, object]] = {
    Order.Flow.WRITER_PORTAL: {
        "assignment": Order.Assignment.DIRECT,
        "qc_required": False,
        "expert_may_close": False,
    },
    Order.Flow.EXPERT_HUB: {
        "assignment": Order.Assignment.DIRECT,
        "qc_required": False,
        "expert_may_close": True,
    },
    Order.Flow.MARKETPLACE: {
        "assignment": Order.Assignment.SPEEDY,
        "qc_required": True,
        "expert_may_close": False,
    },
}
