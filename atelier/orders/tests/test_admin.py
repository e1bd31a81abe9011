"""Until the agent console exists, agents run every engine action from Django's admin."""

import pytest

from atelier.orders.models import Order

S = Order.Status


@pytest.fixture
def agent_client(client, world):
    client.force_login(world.agent)
    return client


def act(client, order: Order, name: str, data: dict):
    return client.post(f"/admin/orders/order/{order.pk}/act/{name}/", data)


def test_agent_creates_an_order_through_the_engine(agent_client, world):
    response = agent_client.post(
        "/admin/orders/order/add/",
        {
            "service": world.service.pk,
            "customer": world.customer.pk,
            "title": "Admin-made resume",
            "instructions": "Two pages.",
            "assignment": "direct",
            "reward_amount": "99.00",
            "reward_currency": "usd",
        },
    )
    assert response.status_code == 302
    order = Order.objects.get(title="Admin-made resume")
    assert order.reward_currency == "USD"  # normalised by the engine
    assert order.events.get().verb == "order.created"


def test_agent_assigns_and_completes_from_the_order_page(agent_client, world):
    order = world.order()
    page = agent_client.get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200
    assert "Assign an expert" in page.text

    assert act(agent_client, order, "assign", {"expert": world.expert.email}).status_code == 302
    order.refresh_from_db()
    assert (order.status, order.expert) == (S.IN_PROGRESS, world.expert)

    world.submit(order)
    assert act(agent_client, order, "complete", {"confirm": "on"}).status_code == 302
    order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_refused_action_shows_the_engines_message_and_changes_nothing(agent_client, world):
    order = world.delivered()
    response = act(agent_client, order, "reopen", {"reason": "Why not", "back_to": "customer"})
    assert response.status_code == 200
    assert "cannot reopen while the order is delivered" in response.text
    order.refresh_from_db()
    assert order.status == S.DELIVERED


def test_agent_closes_with_the_prefilled_farewell(agent_client, world):
    order = world.delivered(Order.Flow.EXPERT_HUB)
    form = agent_client.get(f"/admin/orders/order/{order.pk}/act/close/")
    message = form.context["form"].initial["message"]
    assert "/link/" in message
    assert act(agent_client, order, "close", {"message": message}).status_code == 302
    order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_status_is_not_editable_in_the_admin(agent_client, world):
    order = world.order()
    agent_client.post(
        f"/admin/orders/order/{order.pk}/change/",
        {"title": "Renamed", "instructions": "", "status": "completed"},
    )
    order.refresh_from_db()
    assert order.status == S.OPEN


@pytest.mark.parametrize("who", ["customer", "expert", "reviewer", "stranger"])
def test_only_agents_enter_the_admin(client, world, who):
    order = world.order()
    client.force_login(getattr(world, who))
    assert client.get("/admin/").status_code == 302
    assert act(client, order, "cancel", {"reason": "x"}).status_code == 302
    order.refresh_from_db()
    assert order.status == S.OPEN


def test_order_page_is_404_for_outsiders(client, world):
    order = world.delivered()
    file = order.submissions.get().files.get()
    client.force_login(world.stranger)
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert client.get(f"/files/{file.pk}/").status_code == 404
    assert client.get("/orders/999999/").status_code == 404
    client.force_login(world.customer)
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    download = client.get(f"/files/{file.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"Resume version 1\n"
