"""The agent console: every order with filters and search, one order with every agent action
(each through the page, refusals shown beside the form), and the flags inbox. Anyone but an
agent gets 404 on every console URL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from atelier.accounts.models import User
from atelier.backoffice.forms import ACTION_TABS
from atelier.backoffice.queries import TABS
from atelier.core import clock
from atelier.orders import actions
from atelier.orders.models import FeeRequest, Flag, Invitation, Order, RevisionRequest
from atelier.orders.tests.factories import ServiceFactory, UserFactory
from atelier.rewards.models import LedgerEntry

S = Order.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(client, world):
    client.force_login(world.agent)
    return client


def listed(response) -> list[int]:
    return [order.pk for order in response.context["page"]]


def orders_page(client, **filters):
    return client.get(reverse("console-orders"), filters)


def act(client, order: Order, name: str, **data):
    return client.post(reverse("console-order-action", args=[order.pk, name]), data)


def panel(response, name: str):
    return next(p for p in response.context["panels"] if p.name == name)


def order_page(client, order: Order, tab: str = "overview", **params):
    return client.get(reverse("console-order", args=[order.pk]), {"tab": tab, **params})


def every_tab(client, order: Order) -> list:
    return [order_page(client, order, tab) for tab in TABS]


def offered(client, order: Order) -> set[str]:
    """The actions the order page offers, on any of its tabs."""
    return {p.name for page in every_tab(client, order) for p in page.context["panels"]}


def reload(order: Order) -> Order:
    order.refresh_from_db()
    return order


# --- who gets in -------------------------------------------------------------------------------


def console_urls(world) -> list[tuple[str, str]]:
    order = world.order()
    flag = actions.raise_flag(order, actor=world.agent, kind=Flag.Kind.CONCERN, note="Hmm")
    return [
        ("get", reverse("console-orders")),
        ("get", reverse("console-order", args=[order.pk])),
        ("get", reverse("console-expert-search", args=[order.pk])),
        ("post", reverse("console-order-action", args=[order.pk, "comment"])),
        ("post", reverse("console-order-action", args=[order.pk, "cancel"])),
        ("get", reverse("console-flags")),
        ("post", reverse("console-flag-resolve", args=[flag.pk])),
    ]


@pytest.mark.parametrize("who", ["customer", "expert", "reviewer", "stranger"])
def test_everyone_but_agents_gets_404_on_every_console_url(client, world, who):
    # given the order's customer and expert, a reviewer and a stranger
    urls = console_urls(world)
    client.force_login(getattr(world, who))

    # when they open or post to any console URL, then it does not exist for them
    for method, url in urls:
        data = {"body": "hi", "reason": "x", "confirm": "on", "resolution": "x"}
        response = getattr(client, method)(url, data if method == "post" else {})
        assert response.status_code == 404, (who, url)
    assert Order.objects.get().status == S.OPEN
    assert Flag.objects.get().is_open


def test_anonymous_visitor_is_asked_to_log_in(client, world):
    for _method, url in console_urls(world):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


# --- all orders --------------------------------------------------------------------------------


def test_all_orders_newest_first_with_every_column(agent, world):
    # given orders of each flow
    first = world.order(title="First")
    second = world.assigned(Order.Flow.EXPERT_HUB, title="Second")
    third = world.order(Order.Flow.MARKETPLACE, title="Third")

    response = orders_page(agent)

    assert listed(response) == [third.pk, second.pk, first.pk]
    page = response.text
    for text in [f"#{first.pk} First", "Expert hub", "Marketplace", "Writer portal", "expert@"]:
        assert text in page
    assert f'href="/console/orders/{first.pk}/"' in page


def test_status_filter_narrows_the_list(agent, world):
    open_order = world.order()
    working = world.assigned()
    assert listed(orders_page(agent, status="open")) == [open_order.pk]
    assert listed(orders_page(agent, status="in_progress")) == [working.pk]


@pytest.mark.parametrize("flow", Order.Flow.values)
def test_flow_filter_narrows_the_list(agent, world, flow):
    by_flow = {f: world.order(f) for f in Order.Flow.values}
    booking = world.order(Order.Flow.MARKETPLACE, assignment=Order.Assignment.BOOKING)
    expected = [by_flow[flow].pk]
    if flow == Order.Flow.MARKETPLACE:
        expected = [booking.pk, *expected]
    assert listed(orders_page(agent, flow=flow)) == expected


def test_service_filter_narrows_the_list(agent, world):
    translation = ServiceFactory(slug="translation")
    resume = world.order()
    translated = world.order(service=translation)
    assert listed(orders_page(agent, service="translation")) == [translated.pk]
    assert listed(orders_page(agent, service=world.service.slug)) == [resume.pk]


def test_open_flags_filter_and_count(agent, world):
    calm = world.order()
    flagged = world.order()
    resolved = world.order()
    actions.raise_flag(flagged, actor=world.agent, kind=Flag.Kind.CONCERN)
    actions.raise_flag(flagged, actor=world.customer, kind=Flag.Kind.CONCERN)
    flag = actions.raise_flag(resolved, actor=world.agent, kind=Flag.Kind.CONCERN)
    actions.resolve_flag(flag, actor=world.agent)

    response = orders_page(agent, flagged="on")

    assert listed(response) == [flagged.pk]
    assert response.context["page"][0].open_flags == 2
    assert calm.pk in listed(orders_page(agent))


def test_expert_filter_narrows_the_list(agent, world):
    mine = world.assigned()
    theirs = world.order()
    actions.assign_expert(theirs, actor=world.agent, expert=world.expert2)
    world.order()
    assert listed(orders_page(agent, expert="expert2@example.com")) == [theirs.pk]
    assert listed(orders_page(agent, expert="EXPERT@example.com")) == [mine.pk]


def test_overdue_filter_lists_late_orders_not_yet_done(agent, world):
    soon = clock.now() + timedelta(days=1)
    late = world.order(due_at=soon)
    done_late = world.delivered(due_at=soon)
    actions.complete_order(done_late, actor=world.customer)
    world.order(due_at=clock.now() + timedelta(days=5))
    world.order()

    with clock.frozen_at(clock.now() + timedelta(days=2)):
        response = orders_page(agent, overdue="on")

    assert listed(response) == [late.pk]
    assert "overdue" in response.text


def test_closable_filter_lists_expert_hub_orders_closable_but_not_closed(agent, world):
    closable = world.delivered(Order.Flow.EXPERT_HUB)
    writer_portal = world.delivered(Order.Flow.WRITER_PORTAL)  # the customer completes these
    closed = world.delivered(Order.Flow.EXPERT_HUB)
    actions.complete_order(closed, actor=world.agent)
    assert writer_portal.closable_at is not None

    assert listed(orders_page(agent, closable="on")) == []  # not yet: 7 days
    with clock.frozen_at(clock.now() + timedelta(days=8)):
        assert listed(orders_page(agent, closable="on")) == [closable.pk]


def test_search_by_id_with_or_without_hash(agent, world):
    wanted = world.order(title="Plain")
    world.order(title="Other")
    assert listed(orders_page(agent, q=f"#{wanted.pk}")) == [wanted.pk]
    assert listed(orders_page(agent, q=str(wanted.pk))) == [wanted.pk]


def test_search_by_title_customer_or_expert_email(agent, world):
    other_customer = UserFactory(email="someone@else.org", is_customer=True)
    assigned = world.assigned(title="Marketing resume")
    theirs = actions.create_order(
        actor=world.agent, customer=other_customer, service=world.service, title="Bio"
    )
    assert listed(orders_page(agent, q="marketing")) == [assigned.pk]
    assert listed(orders_page(agent, q="someone@else")) == [theirs.pk]
    assert listed(orders_page(agent, q="expert@example.com")) == [assigned.pk]


def test_filters_combine_and_bad_values_are_ignored(agent, world):
    hub = world.assigned(Order.Flow.EXPERT_HUB)
    world.assigned()
    world.order(Order.Flow.EXPERT_HUB)
    response = orders_page(agent, flow="expert_hub", status="in_progress", service="nope")
    assert listed(response) == [hub.pk]


def test_htmx_filter_gets_only_the_results_table(agent, world):
    world.order(title="Only this")
    response = agent.get(reverse("console-orders"), {"status": "open"}, **HTMX)
    assert "Only this" in response.text
    assert "<html" not in response.text and "Filter orders" not in response.text
    assert "HX-Request" in response["Vary"]


def test_empty_list_says_so(agent, world):
    assert "No orders yet." in orders_page(agent).text
    world.order()
    assert "No order matches these filters" in orders_page(agent, status="completed").text


def test_order_list_query_count_does_not_grow_with_rows(
    agent, world, django_assert_max_num_queries
):
    def fill(n: int) -> None:
        for _ in range(n):
            order = world.assigned(Order.Flow.MARKETPLACE)
            actions.raise_flag(order, actor=world.agent, kind=Flag.Kind.CONCERN)

    # (7: session, user, the page, its flags, the top bar's unread count and appeals waiting)
    fill(2)
    with django_assert_max_num_queries(7):
        orders_page(agent, flagged="on")
    fill(40)
    with django_assert_max_num_queries(7):
        response = orders_page(agent, flagged="on")
    assert len(listed(response)) == 25
    with django_assert_max_num_queries(7):
        older = orders_page(agent, flagged="on", cursor=response.context["page"].older_cursor)
    with django_assert_max_num_queries(8):  # searching names the matching people first
        orders_page(agent, q="example.com", cursor=response.context["page"].older_cursor)
    assert len(listed(older)) == 17


def test_order_list_is_paginated_by_25(agent, world):
    for _ in range(27):
        world.order()

    first = orders_page(agent)
    second = orders_page(agent, cursor=first.context["page"].older_cursor)

    assert len(listed(first)) == 25 and "Older →" in first.text and "Newer" not in first.text
    assert len(listed(second)) == 2 and "← Newer" in second.text and "Older" not in second.text
    back = orders_page(agent, cursor=second.context["page"].newer_cursor)
    assert listed(back) == listed(first)


def walk(client, direction: str = "older", start=None, **filters) -> tuple[list[list[int]], object]:
    """Every page of the list from `start` (a response; the first page without one), following
    the "Older" (or "Newer") links to the end: the pages' order ids, and the last response."""
    response = start or orders_page(client, **filters)
    pages = [listed(response)]
    while cursor := getattr(response.context["page"], f"{direction}_cursor"):
        response = orders_page(client, **filters, cursor=cursor)
        pages.append(listed(response))
    return pages, response


def test_order_list_pages_walk_every_order_once_even_when_created_at_ties(agent, world):
    # given 60 orders, 30 of which share one creation moment (the sort key ties across pages)
    orders = [world.order(title=f"Order {n}") for n in range(60)]
    tied = [o.pk for o in orders[10:40]]
    Order.objects.filter(pk__in=tied).update(created_at=orders[10].created_at)
    expected = list(Order.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))

    # when the agent follows "Older" to the last page
    pages, last = walk(agent)

    # then each order shows once, newest first, 25 to a page, none skipped
    assert [len(page) for page in pages] == [25, 25, 10]
    assert [pk for page in pages for pk in page] == expected

    # and "Newer" from the last page walks the same pages back
    back, _ = walk(agent, "newer", start=last)
    assert back == pages[::-1]


def test_filtered_list_pages_keep_the_filter(agent, world):
    # given 30 open orders among orders in progress
    open_orders = []
    for n in range(30):
        open_orders.append(world.order(title=f"Open {n}"))
        if n % 3 == 0:
            world.assigned(title=f"Working {n}")

    pages, _ = walk(agent, status="open")

    assert [pk for page in pages for pk in page] == [o.pk for o in reversed(open_orders)]
    assert set(Order.objects.filter(pk__in=pages[1]).values_list("status", flat=True)) == {"open"}


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "eyJkIjoibyJ9",
        "e30",
        "eyJkIjoieCIsImsiOiIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwiaWQiOjF9",
    ],
)
def test_a_cursor_we_did_not_give_out_is_refused_with_a_clear_message(agent, world, cursor):
    world.order(title="Still here")

    response = orders_page(agent, cursor=cursor, status="open")

    assert response.status_code == 400
    assert "This page link is not one we gave out" in response.text
    assert "Still here" not in response.text
    assert 'href="?status=open">Go to the newest orders' in response.text
    assert Order.objects.count() == 1


def test_search_by_email_matching_many_people_still_finds_their_orders(agent, world, monkeypatch):
    # given more people match the text than the search names one by one
    monkeypatch.setattr("atelier.backoffice.queries.PEOPLE_LIMIT", 1)
    assigned = world.assigned(title="Bio")
    other = world.order(title="Other")

    # then the orders are still found, through the join
    assert listed(orders_page(agent, q="example.com")) == [other.pk, assigned.pk]
    assert listed(orders_page(agent, expert="example.com")) == [assigned.pk]


# --- the order page ----------------------------------------------------------------------------


def test_order_page_shows_everything_an_agent_needs(agent, world):
    # given a marketplace order whose second submission was sent back by QC, with a revision
    # request, a fee request, a comment and a flag
    order = world.delivered(Order.Flow.MARKETPLACE)
    world.revise(order, "Add my promotion")
    second = world.submit(order, 2)
    actions.review_submission(
        second, actor=world.reviewer, decision="revise", comments="Typo in the header"
    )
    actions.request_fee(order, actor=world.expert, amount="30", reason="Twice the length")
    actions.post_comment(order, actor=world.customer, body="Thanks so far")
    actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.EXCESSIVE_REVISIONS, note="Many")

    page = "".join(response.text for response in every_tab(agent, order))

    for text in [
        "One page, please.",
        "Draft #1",
        "Revision #2",
        "Typo in the header",  # QC comments, shown to agents
        "Add my promotion",
        "30.00 USD",
        "Twice the length",
        "Thanks so far",
        "Excessive revisions",
        "created the order",  # the timeline, as sentences
        "Reward earned",  # the ledger: earned at the first QC approval
        "Decide a fee request",
    ]:
        assert text in page, text


def test_each_tab_shows_its_part_only_with_links_to_the_others(agent, world):
    # given a delivered order with a comment and a flag
    order = world.delivered()
    actions.post_comment(order, actor=world.customer, body="Thanks so far")
    actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.CONCERN, note="Slow answers")

    pages = {tab: order_page(agent, order, tab).text for tab in TABS}

    # then every tab links to every other, and marks itself as the current one
    here = reverse("console-order", args=[order.pk])
    for tab, page in pages.items():
        for other in TABS:
            assert f'href="{here}?tab={other}"' in page
        assert page.count('aria-current="page"') == 1
        assert f'aria-current="page">{TABS[tab]}' in page
    # and each part shows on its own tab only
    where = {
        "Customer documents": "overview",
        "Submissions": "work",
        "Thanks so far": "conversation",
        "Slow answers": "conversation",  # the flag's note, and the timeline's sentence about it
        "created the order": "timeline",
        "Ledger for this order": "money",
    }
    for text, tab in where.items():
        shown = [t for t, page in pages.items() if text in page]
        assert shown == [tab] or (shown == [tab, "timeline"] and text == "Slow answers"), text


def test_an_unknown_tab_shows_the_overview(agent, world):
    order = world.order()
    response = order_page(agent, order, "nonsense")
    assert response.status_code == 200 and response.context["tab"] == "overview"


def test_htmx_tab_switch_gets_only_the_tabs(agent, world):
    order = world.delivered()
    response = agent.get(reverse("console-order", args=[order.pk]), {"tab": "work"}, **HTMX)
    assert response.text.strip().startswith('<div id="order-tabs">')
    assert "<html" not in response.text and "Draft #1" in response.text
    assert "HX-Request" in response["Vary"]


def test_the_overview_says_what_waits_on_the_other_tabs(agent, world):
    # given an order with a fee to decide and an open flag
    order = world.assigned()
    actions.request_fee(order, actor=world.expert, amount="40", reason="Extra pages")
    actions.raise_flag(order, actor=world.customer, kind=Flag.Kind.CONCERN)

    page = order_page(agent, order).text

    # then the overview links to them, and their tabs carry a count
    here = reverse("console-order", args=[order.pk])
    assert f'<a href="{here}?tab=work">1 fee request to decide</a>' in page
    assert f'<a href="{here}?tab=conversation">1 open flag</a>' in page
    assert page.count('<span class="badge" title="waiting for an agent">1</span>') == 2


def test_every_action_offered_is_on_the_tab_that_holds_it(agent, world, triage_order):
    # given orders in states that call for each of the console's actions
    order, _request = triage_order
    actions.request_fee(order, actor=world.expert, amount="40", reason="Extra pages")
    actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.CONCERN)
    hub = world.delivered(Order.Flow.EXPERT_HUB, linked_order=world.order())
    done = world.delivered()
    actions.complete_order(done, actor=world.customer)
    fresh = world.order(Order.Flow.MARKETPLACE)

    # when an agent opens each tab of each
    seen: dict[str, set[str]] = {}
    for each in (order, hub, done, fresh):
        for tab in TABS:
            response = order_page(agent, each, tab)
            d = response.context["d"]
            subjects = [*d.revision_requests, *d.fee_requests, *d.flags]
            beside = [s.panel for s in subjects if getattr(s, "panel", None)]
            for p in [*response.context["panels"], *beside]:
                seen.setdefault(p.name, set()).add(tab)
                assert f'action="{p.url}"' in response.text, (p.name, tab)

    # then every action is offered somewhere, on its own tab only, its form on the page
    assert seen == {name: {tab} for name, tab in ACTION_TABS.items()}


@pytest.mark.parametrize(
    ("name", "data", "tab"),
    [
        ("comment", {"body": "We are on it"}, "conversation"),
        ("request_revision", {"comments": "By phone: fix dates"}, "work"),
        ("complete", {"confirm": "on"}, "overview"),
    ],
)
def test_an_action_done_leads_back_to_its_tab(agent, world, name, data, tab):
    order = world.delivered()
    response = act(agent, order, name, **data)
    assert response.status_code == 302
    page = agent.get(response.url)
    assert page.context["tab"] == tab
    assert any(m.message for m in page.context["messages"])


def test_a_refused_action_shows_its_own_tab_with_the_errors(agent, world):
    order = world.assigned()
    response = act(agent, order, "credit", expert=world.expert.email, amount="-5", memo="x")
    assert response.status_code == 200 and response.context["tab"] == "money"
    assert panel(response, "credit").form.errors["amount"]
    assert "Ledger for this order" in response.text
    # and its tab links lead back to the order page, not to the action's URL
    here = reverse("console-order", args=[order.pk])
    assert f'href="{here}?tab=overview"' in response.text


def test_unknown_order_or_action_is_404(agent, world):
    order = world.order()
    assert agent.get(reverse("console-order", args=[order.pk + 1])).status_code == 404
    assert act(agent, order, "explode").status_code == 404
    assert agent.get(reverse("console-order-action", args=[order.pk, "assign"])).status_code == 405


def test_only_actions_that_fit_the_state_are_offered(agent, world):
    order = world.order()
    names = offered(agent, order)
    assert {"assign", "cancel", "comment", "credit"} <= names
    assert not names & {"invite", "complete", "close", "reopen"}

    done = world.delivered()
    actions.complete_order(done, actor=world.customer)
    names = offered(agent, done)
    assert "reopen" in names and not names & {"assign", "cancel", "complete"}


def test_agent_assigns_an_expert(agent, world):
    order = world.order()
    response = act(agent, order, "assign", expert=world.expert2.email)
    assert response.status_code == 302
    assert (reload(order).status, order.expert) == (S.IN_PROGRESS, world.expert2)
    page = agent.get(response.url)
    assert "Expert assigned" in page.text


def test_refused_action_shows_the_engines_message_and_changes_nothing(agent, world):
    # given an order already in progress
    order = world.assigned()
    events = order.events.count()

    # when an agent assigns someone else anyway
    response = act(agent, order, "assign", expert=world.expert2.email)

    # then the page shows the engine's refusal beside the assign form, and nothing changed
    assert response.status_code == 200
    assert "You cannot assign an expert while the order is in progress." in response.text
    assert panel(response, "assign").form.errors
    assert (reload(order).expert, order.events.count()) == (world.expert, events)


def test_agent_invites_pros_found_by_search(agent, world):
    order = world.order(Order.Flow.MARKETPLACE)
    User.objects.filter(is_expert=True).update(name="Sam Someone")  # no random "Tina" among them
    other = UserFactory(email="translator@elsewhere.org", name="Tina Translator", is_expert=True)
    search = reverse("console-expert-search", args=[order.pk])

    # the htmx search finds pros by name or e-mail and keeps those already ticked
    found = agent.get(search, {"expert_q": "tina"}, **HTMX)
    assert "translator@elsewhere.org" in found.text and "expert2@" not in found.text
    kept = agent.get(search, {"expert_q": "expert2", "experts": [other.pk]}, **HTMX)
    assert "expert2@example.com" in kept.text and "translator@elsewhere.org" in kept.text

    # without JS the search narrows the order page's list
    no_js = agent.get(search, {"expert_q": "tina"})
    assert no_js.status_code == 302
    narrowed = agent.get(no_js.url)
    assert narrowed.context["picker"].found == [other]

    response = act(agent, order, "invite", experts=[other.pk, world.expert2.pk])

    assert response.status_code == 302
    assert reload(order).status == S.INVITED
    assert set(order.invitations.values_list("expert__email", flat=True)) == {
        "translator@elsewhere.org",
        "expert2@example.com",
    }
    # invited pros are not offered again
    again = agent.get(reverse("console-order", args=[order.pk]))
    assert other not in again.context["picker"].found


def test_invite_without_anyone_ticked_is_refused_beside_the_form(agent, world):
    order = world.order(Order.Flow.MARKETPLACE)
    response = act(agent, order, "invite")
    assert response.status_code == 200
    assert panel(response, "invite").form.errors["experts"]
    assert reload(order).status == S.OPEN


@pytest.fixture
def triage_order(world):
    service = ServiceFactory(slug="linkedin-profile", revision_triage=True)
    order = world.delivered(service=service)
    request = world.revise(order, "Also my headline in Spanish")
    return order, request


def test_triage_in_scope_sends_the_request_to_the_expert(agent, triage_order):
    order, request = triage_order
    page = order_page(agent, order, "work")
    assert f'id="triage-{request.pk}-decision_0"' in page.text
    response = act(agent, order, "triage", request=request.pk, decision="in_scope")
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.triage) == (RevisionRequest.Status.OPEN, "in_scope")


def test_triage_fee_quotes_the_customer(agent, triage_order):
    order, request = triage_order
    response = act(
        agent,
        order,
        "triage",
        request=request.pk,
        decision="fee",
        fee_amount="25.00",
        fee_currency="EUR",
        reason="A translation is extra.",
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RevisionRequest.Status.AWAITING_FEE
    fee = FeeRequest.objects.get()
    assert (fee.amount, fee.currency, fee.status) == (
        Decimal("25.00"),
        "EUR",
        FeeRequest.Status.QUOTED,
    )


def test_triage_rejected_needs_a_reason(agent, triage_order):
    order, request = triage_order
    refused = act(agent, order, "triage", request=request.pk, decision="rejected")
    assert refused.status_code == 200
    assert "A reason is required." in refused.text
    request.refresh_from_db()
    assert request.status == RevisionRequest.Status.PENDING_TRIAGE

    response = act(
        agent, order, "triage", request=request.pk, decision="rejected", reason="Out of scope."
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.triage_reason) == (
        RevisionRequest.Status.REJECTED,
        "Out of scope.",
    )
    assert reload(order).status == S.DELIVERED


@pytest.mark.parametrize(("answer", "status"), [("yes", "quoted"), ("no", "rejected")])
def test_agent_decides_a_fee_request(agent, world, answer, status):
    order = world.assigned()
    fee = actions.request_fee(order, actor=world.expert, amount="40", reason="Extra pages")
    response = act(agent, order, "decide_fee", fee=fee.pk, approve=answer, note="Fair")
    assert response.status_code == 302
    fee.refresh_from_db()
    assert (fee.status, fee.decision_note) == (status, "Fair")


def test_agent_closes_with_the_prefilled_farewell(agent, world):
    order = world.delivered(Order.Flow.EXPERT_HUB)
    page = agent.get(reverse("console-order", args=[order.pk]))
    close = panel(page, "close")
    message = close.form.initial["message"]
    assert "http://testserver/link/" in message
    assert "resume-v1.txt" in page.text  # the final documents are listed

    unconfirmed = act(agent, order, "close", message=message)
    assert unconfirmed.status_code == 200
    assert reload(order).status == S.DELIVERED

    response = act(agent, order, "close", message=message, confirm="on")
    assert response.status_code == 302
    assert reload(order).status == S.COMPLETED
    assert order.events.filter(verb="order.closed").exists()


def test_close_with_the_link_line_removed_is_refused(agent, world):
    order = world.delivered(Order.Flow.EXPERT_HUB)
    response = act(agent, order, "close", message="Bye!", confirm="on")
    assert response.status_code == 200
    assert "Keep the line" in response.text
    assert reload(order).status == S.DELIVERED


def test_agent_completes_only_with_confirmation(agent, world):
    order = world.delivered()
    unconfirmed = act(agent, order, "complete")
    assert unconfirmed.status_code == 200
    assert panel(unconfirmed, "complete").form.errors["confirm"]
    assert reload(order).status == S.DELIVERED

    assert act(agent, order, "complete", confirm="on").status_code == 302
    assert reload(order).status == S.COMPLETED


def test_agent_reopens_with_a_reason_and_says_where_the_work_goes(agent, world):
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)
    assert act(agent, order, "reopen", reason="", back_to="customer").status_code == 200
    assert reload(order).status == S.COMPLETED
    unsaid = act(agent, order, "reopen", reason="The customer found a typo")
    assert unsaid.status_code == 200 and panel(unsaid, "reopen").form.errors["back_to"]
    assert reload(order).status == S.COMPLETED
    response = act(agent, order, "reopen", reason="The customer found a typo", back_to="customer")
    assert response.status_code == 302
    assert reload(order).status == S.DELIVERED


def test_agent_reopens_back_to_the_expert_who_can_submit_at_once(agent, world):
    # given a completed order
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)

    # when an agent reopens it back to the expert from the console
    response = act(agent, order, "reopen", reason="Fix the phone number", back_to="expert")

    # then the expert has a revision request to answer and can submit straight away
    assert response.status_code == 302
    assert reload(order).status == S.REVISION_REQUESTED
    world.submit(order, 2)
    assert reload(order).status == S.REVISION_SUBMITTED


def test_agent_cancels_only_with_confirmation(agent, world):
    order = world.assigned()
    unconfirmed = act(agent, order, "cancel", reason="Ordered twice")
    assert unconfirmed.status_code == 200
    assert panel(unconfirmed, "cancel").form.errors["confirm"]
    assert reload(order).status == S.IN_PROGRESS

    response = act(agent, order, "cancel", reason="Ordered twice", confirm="on")
    assert response.status_code == 302
    assert reload(order).status == S.CANCELLED


def test_crediting_twice_with_the_same_key_writes_once(agent, world):
    order = world.assigned()
    form = panel(order_page(agent, order, "money"), "credit").form
    key = form.initial["key"]
    assert key and form.initial["expert"] == world.expert
    data = {"expert": world.expert.email, "amount": "15.00", "currency": "USD", "memo": "Rush"}

    assert act(agent, order, "credit", key=key, **data).status_code == 302
    assert act(agent, order, "credit", key=key, **data).status_code == 302

    credit = LedgerEntry.objects.get(kind=LedgerEntry.Kind.CREDIT)
    assert (credit.expert, credit.amount, credit.order) == (world.expert, Decimal("15.00"), order)


def test_agent_resolves_a_flag_from_the_order_page(agent, world):
    order = world.delivered()
    flag = actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.COMPLETION_REQUEST)
    response = act(agent, order, "resolve_flag", flag=flag.pk, resolution="Called the customer")
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.is_open, flag.resolution) == (False, "Called the customer")


def test_agent_comments_and_requests_a_revision_for_the_customer(agent, world):
    order = world.delivered()
    assert act(agent, order, "comment", body="We are on it").status_code == 302
    assert order.comments.get().body == "We are on it"
    assert act(agent, order, "request_revision", comments="By phone: fix dates").status_code == 302
    assert reload(order).status == S.REVISION_REQUESTED


def test_agent_offers_the_linked_order_to_the_pros_who_missed_it(agent, world):
    # given a translation speedy, linked to a proofreading order, won by expert over expert2
    proofreading = world.order(Order.Flow.MARKETPLACE, title="Proofread")
    translation = world.assigned(Order.Flow.MARKETPLACE, linked_order=proofreading)
    page = agent.get(reverse("console-order", args=[translation.pk]))
    assert "Offer the linked order to the pros who missed this one" in page.text

    # when the agent offers it in one action
    response = act(agent, translation, "offer_linked", confirm="on")

    # then expert2, who missed the translation, is invited to the proofreading
    assert response.status_code == 302
    invitation = proofreading.invitations.get()
    assert (invitation.expert, invitation.status) == (world.expert2, Invitation.Status.PENDING)

    # and offering again is refused with the engine's message
    again = act(agent, translation, "offer_linked", confirm="on")
    assert "Nobody missed this order, or they are all invited already." in again.text


def test_agent_links_an_order_to_its_follow_up_then_unlinks_it(agent, world):
    # given a taken translation speedy and a proofreading order, not linked
    proofreading = world.order(Order.Flow.MARKETPLACE, title="Proofread")
    translation = world.assigned(Order.Flow.MARKETPLACE)
    page = agent.get(reverse("console-order", args=[translation.pk]))
    assert "offer_linked" not in {p.name for p in page.context["panels"]}

    # when the agent links the proofreading from the order page
    response = act(agent, translation, "link", linked_order=proofreading.pk)

    # then it is linked, on the timeline, and the page offers it to the pros who missed this one
    assert response.status_code == 302
    assert reload(translation).linked_order == proofreading
    event = translation.events.get(verb="order.linked")
    assert (event.actor, event.details["linked_order"]) == (world.agent, proofreading.pk)
    page = agent.get(response.url)
    assert "Linked order saved." in page.text
    assert panel(page, "link").form.initial["linked_order"] == proofreading.pk
    assert "offer_linked" in {p.name for p in page.context["panels"]}

    # and emptying the field unlinks it, on the timeline too
    assert act(agent, translation, "link", linked_order="").status_code == 302
    assert reload(translation).linked_order is None
    assert translation.events.filter(verb="order.unlinked").count() == 1


@pytest.mark.parametrize(
    ("number", "message"),
    [("self", "An order cannot be linked to itself."), (999999, "There is no order with this")],
)
def test_a_bad_link_is_refused_beside_the_form(agent, world, number, message):
    # given an order
    order = world.order()
    events = order.events.count()

    # when the agent links it to itself, or to an order that does not exist
    response = act(agent, order, "link", linked_order=order.pk if number == "self" else number)

    # then the page says why beside the link form, and nothing changed
    assert response.status_code == 200
    assert message in response.text and panel(response, "link").form.errors
    assert (reload(order).linked_order, order.events.count()) == (None, events)


# --- flags inbox -------------------------------------------------------------------------------


def flags_page(client, **filters):
    return client.get(reverse("console-flags"), filters)


def test_flags_inbox_lists_open_flags_first_oldest_first(agent, world):
    order = world.delivered()
    older = actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.EXCESSIVE_REVISIONS)
    resolved = actions.raise_flag(order, actor=world.customer, kind=Flag.Kind.CONCERN, note="Hm")
    actions.resolve_flag(resolved, actor=world.agent, resolution="Talked")
    newer = actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.COMPLETION_REQUEST)

    response = flags_page(agent)

    assert [f.pk for f in response.context["page"]] == [older.pk, newer.pk, resolved.pk]
    assert "customer@example.com" in response.text and "Talked" in response.text


def test_flags_inbox_filters_by_kind_and_state(agent, world):
    order = world.delivered()
    concern = actions.raise_flag(order, actor=world.customer, kind=Flag.Kind.CONCERN)
    excessive = actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.EXCESSIVE_REVISIONS)
    actions.resolve_flag(excessive, actor=world.agent)

    def pks(response):
        return [f.pk for f in response.context["page"]]

    assert pks(flags_page(agent, kind="concern")) == [concern.pk]
    assert pks(flags_page(agent, state="open")) == [concern.pk]
    assert pks(flags_page(agent, state="resolved")) == [excessive.pk]
    assert "No flag matches" in flags_page(agent, kind="overdue").text


def test_resolve_inline_with_htmx_swaps_the_row(agent, world):
    order = world.delivered()
    flag = actions.raise_flag(order, actor=world.customer, kind=Flag.Kind.CONCERN)
    url = reverse("console-flag-resolve", args=[flag.pk])

    response = agent.post(url, {"resolution": "Refunded"}, **HTMX)

    assert response.status_code == 200
    assert response.text.strip().startswith(f'<tr id="flag-{flag.pk}"')
    assert "Refunded" in response.text and "Resolved" in response.text
    flag.refresh_from_db()
    assert (flag.is_open, flag.resolved_by) == (False, world.agent)


def test_resolve_without_js_redirects_back_with_a_message(agent, world):
    order = world.delivered()
    flag = actions.raise_flag(order, actor=world.customer, kind=Flag.Kind.CONCERN)
    url = reverse("console-flag-resolve", args=[flag.pk])

    response = agent.post(url, {"resolution": "Done", "next": "/console/flags/?state=open"})
    assert response.status_code == 302 and response.url == "/console/flags/?state=open"
    assert "Flag resolved" in agent.get(response.url).text

    # resolving it again is refused with the engine's message
    again = agent.post(url, {"resolution": "Again", "next": "https://evil.example/"})
    assert again.url == reverse("console-flags")
    assert "This flag is resolved already." in agent.get(again.url).text


def test_flags_inbox_query_count_does_not_grow_with_rows(
    agent, world, django_assert_max_num_queries
):
    order = world.delivered()

    def fill(n: int) -> None:
        for _ in range(n):
            flag = actions.raise_flag(order, actor=world.agent, kind=Flag.Kind.CONCERN)
            actions.resolve_flag(flag, actor=world.agent)

    fill(2)
    with django_assert_max_num_queries(6):  # with the top bar's unread count and appeals waiting
        flags_page(agent)
    fill(20)
    with django_assert_max_num_queries(6):
        response = flags_page(agent)
    assert len(response.context["page"]) == 22


def test_agents_list_the_orders_still_owed_a_delivery_due_soonest_first(agent, world):
    # given orders due in 3, 1 and 2 days, one of them delivered already, and a completed one
    now = clock.now()
    for title, days in [("In three days", 3), ("Tomorrow", 1), ("In two days", 2)]:
        world.order(title=title, due_at=now + timedelta(days=days))
    delivered = world.delivered(title="Delivered", due_at=now + timedelta(hours=5))
    actions.complete_order(world.delivered(title="Completed"), actor=world.customer)

    page = agent.get(reverse("console-orders"), {"sort": "due"})

    titles = [o.title for o in page.context["page"]]
    assert titles == ["Tomorrow", "In two days", "In three days"]
    assert delivered.title not in titles and "due soonest first" in page.text
    assert "Next deadline" in page.text and 'data-clock="due"' in page.text


def test_the_console_points_an_agent_to_a_request_for_more_time(agent, world):
    order = world.assigned()
    actions.request_extension(
        order, actor=world.expert, due_at=order.due_at + timedelta(days=1), reason="More pages."
    )
    page = agent.get(reverse("console-order", args=[order.pk]))
    assert "The expert asks for more time" in page.text
    assert f'href="/orders/{order.pk}/#extension"' in page.text
    answer = agent.get(reverse("order-detail", args=[order.pk]))
    assert "Give more time" in answer.text
