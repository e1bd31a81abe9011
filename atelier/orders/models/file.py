import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from atelier.core.models import AppendOnlyModel


def storage_key(instance: "OrderFile", filename: str) -> str:
    # Generated keys: the customer's file name is kept for display only.
    return f"orders/{instance.order_id}/{uuid.uuid4().hex}"


class OrderFile(AppendOnlyModel):
    """A stored file of an order: a customer document (no parent), or part of a submission,
    a revision request or a comment. Who may download it follows from its parent."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="files")
    submission = models.ForeignKey(
        "orders.Submission", on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    revision_request = models.ForeignKey(
        "orders.RevisionRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="files",
    )
    comment = models.ForeignKey(
        "orders.Comment", on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to=storage_key, max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=127, default="application/octet-stream")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(submission__isnull=True, revision_request__isnull=True)
                    | Q(submission__isnull=True, comment__isnull=True)
                    | Q(revision_request__isnull=True, comment__isnull=True)
                ),
                name="order_file_has_at_most_one_parent",
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="order_file_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title or self.name

    @property
    def kind(self) -> str:
        if self.submission_id:
            return "submission"
        if self.revision_request_id:
            return "revision_request"
        if self.comment_id:
            return "comment"
        return "attachment"
