"""The customer's pages and the shared order page, as a customer would use them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from atelier.core import clock
from atelier.orders import actions
from atelier.orders.models import Order
from atelier.orders.tests.factories import ServiceFactory

S = Order.Status


@pytest.fixture
def customer(client, world):
    client.force_login(world.customer)
    return client


def upload(name: str = "resume.txt", content: bytes = b"My resume") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def test_my_orders_shows_status_whose_move_and_next_date(customer, world):
    delivered = world.delivered(Order.Flow.EXPERT_HUB)
    world.order(title="Waiting for an expert")

    page = customer.get("/")

    assert page.status_code == 200
    assert "Waiting for an expert" in page.text
    assert "Waiting for <strong>an agent</strong> to find an expert" in page.text
    assert f"#{delivered.pk} A resume" in page.text
    assert "<strong>Your move</strong>: review the delivery" in page.text
    assert delivered.closable_at.strftime("%Y") in page.text


def test_my_orders_empty_state_and_pagination(customer, world, django_assert_max_num_queries):
    assert "You have no orders yet" in customer.get("/").text
    for n in range(30):  # each due a minute after the one before
        with clock.frozen_at(clock.now() + timedelta(minutes=n)):
            world.order(title=f"Order {n}")
    with django_assert_max_num_queries(8):
        first = customer.get("/")
    assert "Older →" in first.text and "Order 0<" in first.text and "Order 25" not in first.text
    assert first.text.index("Order 0<") < first.text.index("Order 24<")  # soonest due first
    older = customer.get("/", {"cursor": first.context["page"].older_cursor})
    assert "Order 25" in older.text and "Order 29" in older.text and "Order 24<" not in older.text
    assert "← Newer" in older.text and "Older" not in older.text
    back = customer.get("/", {"cursor": older.context["page"].newer_cursor})
    assert [o.title for o, _, _ in back.context["rows"]] == [f"Order {n}" for n in range(25)]


def test_my_orders_show_the_soonest_deadline_first_then_the_rest_newest_first(customer, world):
    # given a completed order, a cancelled one, one due in five days and one delivered today
    done = world.delivered(title="Done")
    actions.complete_order(done, actor=world.customer)
    cancelled = world.order(title="Cancelled")
    actions.cancel_order(cancelled, actor=world.agent, reason="Twice.")
    with clock.frozen_at(clock.now() - timedelta(days=5)):
        flagged = world.delivered(title="Paused by my concern")  # its clock stopped: not urgent
    actions.raise_flag(flagged, actor=world.customer, kind="concern", note="Not what I asked.")
    world.order(title="Due in five days")
    world.delivered(title="Waiting for my answer")  # completes by itself in three days

    rows = customer.get("/").context["rows"]

    assert [order.title for order, _, _ in rows] == [
        "Waiting for my answer",
        "Due in five days",
        "Paused by my concern",  # no running deadline: with the others, newest first
        "Cancelled",
        "Done",
    ]
    clocks = {order.title: clock_ for order, _, clock_ in rows}
    assert clocks["Waiting for my answer"].name == "response"
    assert clocks["Due in five days"].name == "due" and clocks["Done"] is None


def test_my_orders_with_a_cursor_we_did_not_give_out_says_so(customer, world):
    world.order(title="Mine")
    response = customer.get("/", {"cursor": "edited"})
    assert response.status_code == 400
    assert "This page link is not one we gave out" in response.text
    assert "Mine" not in response.text


def test_my_orders_lists_only_my_orders(customer, world):
    other = world.order(title="Someone else's")
    other.customer = world.stranger
    other.save()
    assert "Someone else" not in customer.get("/").text


def test_other_roles_start_on_their_own_page(client, world):
    for who, url in [("agent", "/console/"), ("expert", "/work/"), ("reviewer", "/qc/")]:
        client.force_login(getattr(world, who))
        assert client.get("/").url == url


def test_place_an_order_with_documents_takes_the_services_flow_and_reward(customer, world):
    service = ServiceFactory(slug="translation", flow="marketplace", reward_amount=Decimal("80"))

    response = customer.post(
        "/orders/new/",
        {
            "service": service.pk,
            "title": "Translate my diploma",
            "instructions": "Into German.",
            "documents": [upload("diploma.pdf", b"%PDF"), upload("id.txt", b"id")],
            "due_at": "2099-01-31T17:00",
        },
    )

    order = Order.objects.get(title="Translate my diploma")
    assert response.status_code == 302 and response.url == f"/orders/{order.pk}/"
    assert (order.customer, order.flow, order.reward_amount) == (
        world.customer,
        Order.Flow.MARKETPLACE,
        Decimal("80.00"),
    )
    assert order.qc_required and order.assignment == Order.Assignment.SPEEDY
    assert sorted(order.files.values_list("name", flat=True)) == ["diploma.pdf", "id.txt"]
    assert order.due_at.year == 2099


def test_place_order_errors_beside_the_field_and_nothing_stored(customer, world):
    response = customer.post(
        "/orders/new/", {"service": world.service.pk, "title": "", "due_at": "2001-01-01T10:00"}
    )
    assert response.status_code == 400
    assert 'id="id_title_errors"' in response.text
    response = customer.post(
        "/orders/new/",
        {"service": world.service.pk, "title": "Old", "due_at": "2001-01-01T10:00"},
    )
    assert response.status_code == 400
    assert "due date must be in the future" in response.text
    response = customer.post(
        "/orders/new/",
        {"service": world.service.pk, "title": "Empty", "documents": [upload("e.txt", b"")]},
    )
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_order_page_shows_deliveries_newest_first_and_marks_them_opened(customer, world):
    order = world.delivered()
    world.revise(order)
    world.submit(order, 2)

    page = customer.get(f"/orders/{order.pk}/")

    assert page.text.index("Revision #2") < page.text.index("Draft #1")
    assert "resume-v2.txt" in page.text and "Version 2." in page.text
    assert all(s.customer_opened_at for s in order.submissions.all())


def test_customer_never_sees_a_delivery_in_qc_or_qc_comments(customer, world):
    order = world.assigned(Order.Flow.MARKETPLACE)
    first = world.submit(order)
    actions.review_submission(first, actor=world.reviewer, decision="revise", comments="Typo!")
    world.submit(order, 2)

    page = customer.get(f"/orders/{order.pk}/")

    assert "resume-v1.txt" not in page.text and "resume-v2.txt" not in page.text
    assert "Typo!" not in page.text
    assert "Nothing delivered yet" in page.text
    for tab in ("conversation", "timeline"):
        assert "Typo!" not in customer.get(f"/orders/{order.pk}/?tab={tab}").text


def test_complete_asks_for_confirmation_first(customer, world):
    order = world.delivered()
    page = customer.get(f"/orders/{order.pk}/complete/")
    assert "resume-v1.txt" in page.text  # the final documents are listed

    refused = customer.post(f"/orders/{order.pk}/complete/", {})
    order.refresh_from_db()
    assert refused.status_code == 400 and "Tick the box" in refused.text
    assert order.status == S.DELIVERED

    done = customer.post(f"/orders/{order.pk}/complete/", {"confirm": "on"})
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert done.url == f"/orders/{order.pk}/final/"
    assert "resume-v1.txt" in customer.get(done.url).text


def test_request_a_revision_with_files(customer, world):
    order = world.delivered()
    response = customer.post(
        f"/orders/{order.pk}/revision/",
        {"items": "Add the 2024 promotion.", "files": [upload("promo.txt", b"promo")]},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.REVISION_REQUESTED
    request = order.revision_requests.get()
    assert [f.name for f in request.files.all()] == ["promo.txt"]


def test_revision_without_comments_shows_the_error_and_changes_nothing(customer, world):
    order = world.delivered()
    response = customer.post(f"/orders/{order.pk}/revision/", {"items": [" ", ""]})
    assert response.status_code == 400
    assert 'id="id_items_errors"' in response.text
    assert "Say what should change: at least one point." in response.text
    order.refresh_from_db()
    assert order.status == S.DELIVERED


def test_comments_with_files_are_shared_with_the_expert(customer, client, world):
    order = world.assigned()
    customer.post(
        f"/orders/{order.pk}/comments/",
        {"body": "Here is my LinkedIn export.", "files": [upload("linkedin.csv", b"a,b")]},
    )
    client.force_login(world.expert)
    page = client.get(f"/orders/{order.pk}/?tab=conversation")
    assert "Here is my LinkedIn export." in page.text and "linkedin.csv" in page.text
    empty = client.post(f"/orders/{order.pk}/comments/", {"body": ""})
    assert empty.status_code == 400 and "A message is required" in empty.text


def test_quoted_fee_is_accepted_from_the_order_page(customer, world):
    world.service.revision_triage = True
    world.service.save()
    order = world.delivered()
    request = world.revise(order)
    actions.triage_revision(request, actor=world.agent, decision="fee", fee_amount="25.00")
    fee = order.fee_requests.get()

    page = customer.get(f"/orders/{order.pk}/")
    assert "Accept 25.00 USD" in page.text
    customer.post(f"/orders/{order.pk}/fees/{fee.pk}/", {"accept": "yes"})

    fee.refresh_from_db()
    assert fee.status == "accepted"


def test_htmx_tab_request_gets_only_the_tab(customer, world):
    order = world.delivered()
    response = customer.get(f"/orders/{order.pk}/?tab=timeline", headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<div id="order-tabs">')
    assert 'aria-current="page">Timeline' in response.text
    assert "created the order for you." in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/orders/{pk}/",
        "/orders/{pk}/final/",
        "/orders/{pk}/complete/",
    ],
)
def test_stranger_gets_404_on_every_order_page(client, world, url):
    order = world.delivered()
    client.force_login(world.stranger)
    assert client.get(url.format(pk=order.pk)).status_code == 404


@pytest.mark.parametrize("path", ["revision/", "comments/", "documents/", "fees/1/", "complete/"])
def test_stranger_posts_are_404_and_change_nothing(client, world, path):
    order = world.delivered()
    client.force_login(world.stranger)
    response = client.post(f"/orders/{order.pk}/{path}", {"items": "x", "body": "x"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == S.DELIVERED and not order.comments.exists()


def test_expert_cannot_complete_for_the_customer(client, world):
    order = world.delivered()
    client.force_login(world.expert)
    assert client.get(f"/orders/{order.pk}/complete/").status_code == 403
    response = client.post(f"/orders/{order.pk}/complete/", {"confirm": "on"})
    assert response.status_code == 403
    assert "Only the customer or an agent completes" in response.text
    order.refresh_from_db()
    assert order.status == S.DELIVERED
