"""`/services` and a service's policy over the API: agents change it, orders keep theirs; and
each order's clocks."""

import pytest

from .apiclient import error_of


def patch(api, user, slug: str, body: dict):
    response = api.as_(user).call("PATCH", f"/services/{slug}/policy", json=body)
    return response.status_code, response.json()


def test_anyone_reads_the_services_with_their_policies(api, world):
    status, body = api.as_(world.customer).get("/services")
    assert status == 200
    [service] = [x for x in body if x["slug"] == world.service.slug]
    policy = service["policy"]
    assert (policy["included_revisions"], policy["auto_complete_days"]) == (3, 3)
    assert (policy["turnaround_days"], policy["reward_hold_days"]) == (5, 30)


def test_an_agent_changes_a_policy_and_only_later_orders_take_it(api, world):
    before = world.order()
    status, body = patch(
        api, world.agent, world.service.slug, {"auto_complete_days": 0, "turnaround_days": 2}
    )
    assert status == 200, body
    assert (body["policy"]["auto_complete_days"], body["policy"]["turnaround_days"]) == (0, 2)
    after = world.order()
    before.refresh_from_db()
    assert before.policy.auto_complete_days == 3 and after.policy.auto_complete_days == 0
    assert (after.due_at - after.created_at).days == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"turnaround_days": 0}, "turnaround_days"),
        ({"reminder_days": 400}, "reminder_days"),
        ({"auto_complete_days": "soon"}, "auto_complete_days"),
        ({"closing_days": 3}, "closing_days"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(api, world, body, field):
    version = world.service.policy_id
    status, answer = patch(api, world.agent, world.service.slug, body)
    assert status == 400
    assert field in str(error_of(answer))
    world.service.refresh_from_db()
    assert world.service.policy_id == version


def test_only_agents_change_a_policy(api, world):
    status, body = patch(api, world.expert, world.service.slug, {"auto_complete_days": 1})
    assert status == 403, body
    assert patch(api, world.agent, "nope", {})[0] == 404


def test_every_order_carries_its_clocks_for_its_reader(api, world):
    order = world.delivered()
    status, body = api.as_(world.customer).get(f"/orders/{order.pk}")
    assert status == 200
    clocks = {c["name"]: c for c in body["clocks"]}
    assert set(clocks) == {"response", "due"}
    assert clocks["response"]["whose_move"] == "customer"
    assert clocks["response"]["state"] == "running"
    assert clocks["response"]["countdown"].startswith("in 2 days")
    assert clocks["due"]["state"] == "done"
    _, listed = api.as_(world.expert).get("/orders")
    [item] = [o for o in listed["items"] if o["id"] == order.pk]
    assert {c["name"] for c in item["clocks"]} == {"response", "due"}
    _, reviewer = api.as_(world.reviewer).get(f"/orders/{order.pk}")
    assert "response" not in {c["name"] for c in reviewer.get("clocks", [])}


def test_an_agent_changes_the_flow_of_orders_placed_from_now_on(api, world):
    before = world.order()
    status, body = patch(api, world.agent, world.service.slug, {"flow": "marketplace"})
    assert status == 200, body
    assert (body["flow"], body["qc_required"], body["expert_may_close"]) == (
        "marketplace",
        True,
        False,
    )
    status, bad = patch(api, world.agent, world.service.slug, {"flow": "sideways"})
    assert status == 400 and error_of(bad)["field"] == "flow"
    before.refresh_from_db()
    assert before.qc_required is False  # an order keeps what it was placed under
