"""Requests for more time over the API, and the clock they start."""

from datetime import timedelta

from .apiclient import error_of


def test_the_expert_asks_and_the_customer_answers(api, world):
    order = world.assigned()
    later = (order.due_at + timedelta(days=2)).isoformat()

    status, asked = api.as_(world.expert).post(
        f"/orders/{order.pk}/extensions", {"due_at": later, "reason": "Twice the pages."}
    )
    assert status == 201, asked
    assert (asked["status"], asked["round"]) == ("pending", 0)
    _, seen = api.as_(world.customer).get(f"/orders/{order.pk}")
    [clock] = [c for c in seen["clocks"] if c["name"] == "extension"]
    assert (clock["whose_move"], clock["at"][:10]) == ("customer", order.due_at.date().isoformat())

    status, again = api.as_(world.expert).post(
        f"/orders/{order.pk}/extensions", {"due_at": later, "reason": "And more."}
    )
    assert status == 409 and error_of(again)["code"] == "extension_asked"

    status, answered = api.as_(world.customer).post(
        f"/extensions/{asked['id']}/answer", {"accept": True}
    )
    assert status == 200 and answered["status"] == "accepted"
    _, order_now = api.as_(world.customer).get(f"/orders/{order.pk}")
    assert order_now["due_at"][:16] == later[:16]
    _, listed = api.as_(world.expert).get(f"/orders/{order.pk}/extensions")
    assert [e["status"] for e in listed] == ["accepted"]


def test_bad_requests_say_which_field(api, world):
    order = world.assigned()
    status, body = api.as_(world.expert).post(
        f"/orders/{order.pk}/extensions",
        {"due_at": (order.due_at - timedelta(days=1)).isoformat(), "reason": "x"},
    )
    assert status == 400 and error_of(body)["field"] == "due_at"
    status, body = api.as_(world.expert).post(
        f"/orders/{order.pk}/extensions", {"due_at": "next week", "reason": "x"}
    )
    assert status == 400 and error_of(body)["field"] == "due_at"
    assert not order.extensions.exists()
