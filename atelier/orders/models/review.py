from django.conf import settings
from django.db import models

from atelier.core.models import BaseModel


class QCReview(BaseModel):
    """A reviewer's verdict on a submission. Its comments are never shown to the customer."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approved"  # the customer may now see the submission
        REVISE = "revise", "Revision requested"  # back to the expert with comments

    submission = models.ForeignKey(
        "orders.Submission", on_delete=models.PROTECT, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision)
    comments = models.TextField(blank=True)
    # The service's QC checklist as marked: [{"point", "pass", "comment"}]. The decision follows
    # from it (a failed point sends the work back) unless the reviewer overrides with a reason.
    scorecard = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "QC review"
        constraints = [
            models.UniqueConstraint(fields=["submission"], name="one_review_per_submission"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.submission}"
