from django import template
from django.utils.dateparse import parse_datetime
from django.utils.timezone import get_current_timezone

from atelier.core.time import describe

register = template.Library()


@register.filter
def moment(value) -> str:
    """A datetime, or its ISO form as stored in a notification's JSON context, as people read
    it in the active time zone: 'Tue 10 Mar 2026, 15:27 EDT'."""
    when = parse_datetime(value) if isinstance(value, str) else value
    return describe(when, get_current_timezone()) if when else ""
