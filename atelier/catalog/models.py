from django.db import models

from atelier.core.models import BaseModel


class Service(BaseModel):
    """A kind of work customers order: resume writing, translation, voice-over...

    Orders a customer places take the service's flow and reward; agents may choose others."""

    class Flow(models.TextChoices):
        WRITER_PORTAL = "writer_portal", "Writer portal"  # assigned; the customer completes
        EXPERT_HUB = "expert_hub", "Expert hub"  # assigned; the expert closes with a farewell
        MARKETPLACE = "marketplace", "Marketplace"  # invitations; QC; the customer approves

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    included_revisions = models.PositiveSmallIntegerField(
        default=3, help_text="Revision requests included in the price; more flag the order."
    )
    revision_triage = models.BooleanField(
        default=False,
        help_text="An agent checks each revision request before it reaches the expert.",
    )
    flow = models.CharField(max_length=20, choices=Flow, default=Flow.WRITER_PORTAL)
    reward_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="The expert's reward per order."
    )
    reward_currency = models.CharField(max_length=3, default="USD")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
