from django.conf import settings
from django.db import models

from atelier.core.models import BaseModel


class Notification(BaseModel):
    """One message to one person, written in the transaction of the change that caused it. It is
    both the e-mail outbox row and the in-app inbox item."""

    class Event(models.TextChoices):
        ASSIGNED = "assigned", "Order assigned"
        INVITED = "invited", "Invitation"
        INVITATION_TAKEN = "invitation_taken", "Invitation taken"
        DELIVERED = "delivered", "Delivery ready"
        QC_REVISION_REQUESTED = "qc_revision_requested", "QC asked for a revision"
        REVISION_REQUESTED = "revision_requested", "Revision requested"
        REVISION_REJECTED = "revision_rejected", "Revision request declined"
        FEE_REQUESTED = "fee_requested", "Fee requested"
        FEE_QUOTED = "fee_quoted", "Fee quoted"
        FEE_ACCEPTED = "fee_accepted", "Fee accepted"
        FEE_DECLINED = "fee_declined", "Fee declined"
        COMPLETED = "completed", "Order completed"
        FAREWELL = "farewell", "Farewell and final documents"
        REOPENED = "reopened", "Order reopened"
        CANCELLED = "cancelled", "Order cancelled"
        FLAG_RAISED = "flag_raised", "Flag raised"
        REWARD_RELEASED = "reward_released", "Reward released"
        COMMENT_POSTED = "comment_posted", "New comment"
        CLOSABLE = "closable", "Order closable"
        DELIVERY_REMINDER = "delivery_reminder", "Reminder: a delivery is waiting"
        AUTO_COMPLETE_NOTICE = "auto_complete_notice", "Notice: the order completes by itself"
        EXTENSION_REQUESTED = "extension_requested", "More time asked for"
        EXTENSION_ANSWERED = "extension_answered", "Answer about more time"
        APPEAL_OPENED = "appeal_opened", "QC send-back appealed"
        APPEAL_DECIDED = "appeal_decided", "Appeal decided"
        QC_REASSIGNED = "qc_reassigned", "Review assigned to you"
        RATED = "rated", "Rating received"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # waiting for the worker
        SENDING = "sending", "Sending"  # claimed by a worker until lease_expires_at
        SENT = "sent", "Sent"  # handed to the mail server
        FAILED = "failed", "Failed"  # gave up after the last attempt; an agent may retry
        SKIPPED = "skipped", "In-app only"  # the recipient chose no e-mail for this event

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event = models.CharField(max_length=30, choices=Event)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The e-mail as sent, kept so that agents can read the outbox.
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # The outbox and each inbox, newest first by (created_at, id): a page is one range read.
            models.Index(fields=["-created_at", "-id"], name="outbox_newest"),
            models.Index(fields=["recipient", "-created_at", "-id"], name="inbox_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} to {self.recipient}"
