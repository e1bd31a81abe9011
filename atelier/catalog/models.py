from django.db import models

from atelier.core.models import BaseModel


class Service(BaseModel):
    """A kind of work customers order: resume writing, translation, voice-over..."""

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
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
