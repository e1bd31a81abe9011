"""The quality loop: what a revision request or a QC send-back asks point by point, and whether
the next round addressed it; a reviewer's claim on a submission is on the order
(Order.qc_reviewer); an expert's appeal of a send-back; the customer's rating of a completed
order."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from atelier.core.models import BaseModel


class RevisionItem(BaseModel):
    """One point of a customer's revision request or of a QC send-back. The expert's next round
    says whether it addressed it, with an optional note; set once, by that submission."""

    request = models.ForeignKey(
        "orders.RevisionRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
    )
    review = models.ForeignKey(
        "orders.QCReview", on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    # The round that answered this point (None until the expert submits again).
    answered_in = models.ForeignKey(
        "orders.Submission",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answered_items",
    )
    addressed = models.BooleanField(default=False)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(request__isnull=False, review__isnull=True)
                | Q(request__isnull=True, review__isnull=False),
                name="revision_item_has_one_source",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Appeal(BaseModel):
    """The expert disputes a QC send-back, once per round; an agent upholds it (the send-back
    stands) or overturns it (the submission is approved and delivered)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an agent"
        UPHELD = "upheld", "Upheld (the send-back stands)"
        OVERTURNED = "overturned", "Overturned (approved)"
        WITHDRAWN = "withdrawn", "Withdrawn (a new round was submitted)"

    class Decision(models.TextChoices):
        UPHOLD = "uphold", "Uphold the send-back"
        OVERTURN = "overturn", "Overturn: approve and deliver"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="appeals")
    review = models.OneToOneField(
        "orders.QCReview", on_delete=models.PROTECT, related_name="appeal"
    )
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="appeal_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal on {self.order}"


class Rating(BaseModel):
    """The customer's rating of a completed order's delivery, once, with an optional tip (a
    ledger entry for the expert, released like a reward)."""

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="rating")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings"
    )
    stars = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(blank=True)
    tip_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    tip_currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["expert", "-created_at"], name="rating_by_expert")]
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ for {self.order}"
