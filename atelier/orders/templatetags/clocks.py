"""`{% clocks order %}`: the order's clocks as its reader sees them (orders/clocks.py), each a
countdown with the exact moment, in the reader's zone, on hover; no JavaScript needed."""

from django import template

from atelier.core import clock

from ..clocks import order_clocks, span

register = template.Library()


@register.inclusion_tag("orders/_clocks.html", takes_context=True)
def clocks(context, order):
    now = clock.now()
    user = context["request"].user
    rows = [(c, c.countdown(now)) for c in order_clocks(order, user, now=now)]
    return {"rows": rows}


@register.filter(name="span")
def span_filter(delta) -> str:
    """A duration as people say it ("2 days 4 h"); empty for none."""
    return span(delta) if delta is not None else ""
