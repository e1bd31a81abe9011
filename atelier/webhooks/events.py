"""The webhook events, named in one place: `order.created`, then `order.<status>` for every status
an order can move to (derived from Order.Status, so a new status is a new event), and `ping`."""

from atelier.orders.models import Order

ALL = "*"  # an endpoint subscribed to "*" gets every event, including ones added later
ORDER_CREATED = "order.created"
PING = "ping"  # the console's "Send a test event"; sent to one endpoint, whatever it subscribes to


def for_status(status: str) -> str:
    return f"order.{status}"


# Every event an endpoint may subscribe to, with what it means (the console's checkboxes).
EVENTS: dict[str, str] = {
    ORDER_CREATED: "An order was created",
    **{for_status(s.value): f"An order became “{s.label}”" for s in Order.Status},
}


def for_timeline(verb: str, to_status: str) -> str | None:
    """The webhook event a timeline event is, if any: the creation, or a status change. (The
    creation records the order's first status, open; it is order.created, not order.open.)"""
    if verb == ORDER_CREATED:
        return ORDER_CREATED
    return for_status(to_status) if to_status else None
