from django.conf import settings
from django.db import models

from atelier.core import clock


class Event(models.Model):
    """One line of an order's timeline: who did what, when, and the status it moved. Append-only
    (only `seq` is filled in, once, after the commit)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the system (timers).",
    )
    verb = models.CharField(max_length=50, db_index=True)  # dotted code: "invitation.accepted"
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    # The event's place in the log, given once it is committed (events.sequence_events) and
    # never changed: readers of GET /api/v1/events page by it.
    seq = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.verb} on order {self.order_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Timeline events are append-only")
        super().save(*args, **kwargs)
