"""What the top bar shows agents beside the console's links."""

from django import template

from .. import queries

register = template.Library()


@register.simple_tag
def pending_appeals() -> int:
    """Appeals waiting for an agent (one count on the partial index of pending appeals)."""
    return queries.pending_appeal_count()
