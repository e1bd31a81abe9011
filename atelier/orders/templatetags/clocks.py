"""The clocks on pages (orders/clocks.py): `{% clocks order %}` shows every clock of an order its
reader sees; `{{ clock|countdown }}` says one as "in 2 days 4 h" or "overdue by 3 h". Each chip
(orders/_clock.html) carries the exact moment, in the reader's zone, on hover; no JavaScript
needed (static/clocks.js only keeps the words current on a page left open)."""

from django import template

from atelier.core import clock

from ..clocks import Clock, order_clocks, span

register = template.Library()


@register.inclusion_tag("orders/_clocks.html", takes_context=True)
def clocks(context, order):
    user = context["request"].user
    return {"clocks": order_clocks(order, user, now=clock.now())}


@register.filter
def countdown(value: Clock) -> str:
    return value.countdown(clock.now())


@register.filter(name="span")
def span_filter(delta) -> str:
    """A duration as people say it ("2 days 4 h"); empty for none."""
    return span(delta) if delta is not None else ""
