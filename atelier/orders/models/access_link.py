from django.conf import settings
from django.db import models

from atelier.core.models import BaseModel


class AccessLink(BaseModel):
    """The farewell's link to an order's final documents, for the customer it names (rule 9).
    It grants nothing by itself: the visitor signs in as that customer. Only a hash of the token
    is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_links"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="access_links")
    token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Farewell link for {self.user} to {self.order}"
