from django.conf import settings
from django.db import models

from atelier.core.models import AppendOnlyModel


class Submission(AppendOnlyModel):
    """One delivery of work: files and notes. Never edited or deleted (DESIGN rule 2); only the
    moments it was delivered and first opened are filled in, once each."""

    class Kind(models.TextChoices):
        DRAFT = "draft", "Draft"  # the first submission of an order
        REVISION = "revision", "Revision"  # every later one

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="submissions")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind)
    notes = models.TextField(blank=True)
    # When the customer could first see it: at submission, or at QC approval (DESIGN rule 6).
    delivered_at = models.DateTimeField(null=True, blank=True)
    customer_opened_at = models.DateTimeField(null=True, blank=True)
    customer_reminded_at = models.DateTimeField(null=True, blank=True)
    # The order's due date when this, its first delivery, reached the customer (None for later
    # rounds and orders without one): on time if delivered_at <= due_at; agents' on-time rates.
    due_at = models.DateTimeField(null=True, blank=True)

    @property
    def late_by(self):
        """How late this delivery was (None: on time, or no due date)."""
        if self.due_at is None or self.delivered_at is None or self.delivered_at <= self.due_at:
            return None
        return self.delivered_at - self.due_at

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="submission_number_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.number} of {self.order}"
