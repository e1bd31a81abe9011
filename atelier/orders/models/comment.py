from django.conf import settings
from django.db import models

from atelier.core.models import BaseModel


class Comment(BaseModel):
    """A message in the order's thread between the customer, the expert and agents."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.order}"
