from django.conf import settings
from django.db import models

from atelier.core.models import BaseModel


class AccessLink(BaseModel):
    """A one-time link that lets a customer in (setting a password if they have none) and lands
    on an order's final documents (DESIGN rule 9). Only a hash of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_links"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="access_links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"One-time link for {self.user} to {self.order}"
