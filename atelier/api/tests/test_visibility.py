"""What each person may read through the API is what the pages show them, no more: QC comments
never reach the customer, an invited pro sees the order to decide but nothing inside it, a pro
who missed the order loses it, and notes meant for one side do not leak to the other."""

from atelier.orders import actions
from atelier.orders.models import Order
from atelier.orders.tests.factories import doc

from .apiclient import error_of

Flow = Order.Flow


def test_an_invited_pro_sees_the_order_to_decide_but_nothing_inside_it(api, world):
    # given a marketplace order with the customer's document, offered to expert2
    order = world.order(Flow.MARKETPLACE, instructions="Formal tone.")
    [document] = actions.add_attachments(order, actor=world.customer, files=[doc("old-cv.txt")])
    actions.post_comment(order, actor=world.customer, body="My phone is 555-0100.")
    actions.invite_experts(order, actor=world.agent, experts=[world.expert2])
    pro = api.as_(world.expert2)

    # when the invited pro looks at it
    status, seen = pro.get(f"/orders/{order.pk}")

    # then they read what they need to decide: the brief and the reward
    assert status == 200
    assert (seen["title"], seen["instructions"]) == ("A resume", "Formal tone.")
    assert seen["reward"] == {"amount": "120.00", "currency": "USD"}
    # not who the customer is, nor when the expert may close
    assert seen["customer"] is None and seen["closable_at"] is None
    assert "customer@example.com" not in str(pro.get("/orders")[1])
    # but not the conversation, the timeline, the flags, the fees or the customer's documents
    for path in ("comments", "events", "flags", "fee-requests", "invitations"):
        status, body = pro.get(f"/orders/{order.pk}/{path}")
        assert (status, error_of(body)["code"]) == (403, "forbidden"), path
    assert pro.get(f"/orders/{order.pk}/attachments") == (200, [])
    assert pro.get(f"/files/{document.pk}")[0] == 404


def test_a_pro_who_missed_the_order_loses_it_and_keeps_only_taken(api, world):
    # given a speedy order offered to two pros, taken by the expert
    order = world.order(Flow.MARKETPLACE, title="Confidential merger letter")
    actions.invite_experts(order, actor=world.agent, experts=[world.expert, world.expert2])
    actions.accept_invitation(order.invitations.get(expert=world.expert), actor=world.expert)
    pro = api.as_(world.expert2)

    # then the pro who missed it cannot open it or find it in their orders
    assert pro.get(f"/orders/{order.pk}")[0] == 404
    assert pro.get("/orders")[1]["items"] == []
    # and their invitation says "taken", without the order's details
    status, invitations = pro.get("/invitations")
    assert status == 200
    [invitation] = invitations["items"]
    assert invitation["status"] == "taken"
    assert "Confidential merger letter" not in str(invitations)


def test_the_customer_does_not_read_the_experts_flags_or_the_fees_agents_turned_down(api, world):
    # given an expert who flagged the customer and asked for a fee an agent refused
    order = world.delivered(Flow.WRITER_PORTAL)
    actions.raise_flag(
        order, actor=world.expert, kind="excessive_revisions", note="EXPERT-ONLY-NOTE"
    )
    fee = actions.request_fee(order, actor=world.expert, amount="33.33", reason="EXPERT-REASON")
    actions.decide_fee(fee, actor=world.agent, approve=False, note="AGENT-ONLY-NOTE")
    customer = api.as_(world.customer)

    # when the customer reads everything about their order
    answers = [
        customer.call("GET", f"/orders/{order.pk}/{path}")
        for path in ("flags", "fee-requests", "events", "comments", "submissions")
    ]

    # then none of it is there, while agents still read it on the timeline
    for response in answers:
        assert response.status_code == 200
        for secret in ("EXPERT-ONLY-NOTE", "33.33", "EXPERT-REASON", "AGENT-ONLY-NOTE"):
            assert secret not in response.text, (response.request["PATH_INFO"], secret)
    timeline = api.as_(world.agent).call("GET", f"/orders/{order.pk}/events").text
    assert "EXPERT-ONLY-NOTE" in timeline and "AGENT-ONLY-NOTE" in timeline


def test_the_timeline_shows_each_change_to_the_customer_without_internal_details(api, world):
    # given an order taken through invitations and delivered
    order = world.delivered(Flow.MARKETPLACE)

    # when the customer reads its timeline
    status, events = api.as_(world.customer).get(f"/orders/{order.pk}/events")

    # then every status change is there, in order, with who made it
    assert status == 200
    assert [(e["from_status"], e["to_status"]) for e in events if e["to_status"]] == [
        ("", "open"),
        ("open", "invited"),
        ("invited", "in_progress"),
        ("in_progress", "in_qc"),
        ("in_qc", "delivered"),
    ]
    assert events[1]["actor"] == "agent@example.com"
    # the pros who were invited are the agents' business
    assert all(e["details"] == {} for e in events)
    assert "expert2@example.com" not in str(events)


def test_the_customer_sees_a_delivery_only_after_qc_and_listing_it_does_not_open_it(api, world):
    # given a draft waiting in QC
    order = world.assigned(Flow.MARKETPLACE)
    draft = world.submit(order)
    customer = api.as_(world.customer)
    assert customer.get(f"/orders/{order.pk}/submissions") == (200, [])
    assert customer.get(f"/submissions/{draft.pk}")[0] == 404

    # when QC approves it and the customer lists the history
    world.approve(draft)
    status, seen = customer.get(f"/orders/{order.pk}/submissions")

    # then it is there, still unopened: opening is an act of its own (rule 8)
    assert status == 200 and [s["id"] for s in seen] == [draft.pk]
    assert seen[0]["customer_opened_at"] is None
    draft.refresh_from_db()
    assert draft.customer_opened_at is None
    assert not order.events.filter(verb="delivery.opened").exists()


def test_the_customer_opens_a_delivery_explicitly_once(api, world):
    # given a delivered draft the customer has only listed
    order = world.delivered(Flow.MARKETPLACE)
    draft = order.submissions.get()
    customer = api.as_(world.customer)
    customer.get(f"/orders/{order.pk}/submissions")

    # when they open it, twice
    first = customer.post(f"/submissions/{draft.pk}/open")
    again = customer.post(f"/submissions/{draft.pk}/open")

    # then the first opening is recorded, once, and kept
    assert first[0] == 200 and first[1]["customer_opened_at"] is not None
    assert again == first
    draft.refresh_from_db()
    assert draft.customer_opened_at is not None
    assert order.events.filter(verb="delivery.opened").count() == 1


def test_only_the_customer_opens_a_delivery(api, world):
    # given a delivered draft
    order = world.delivered(Flow.MARKETPLACE)
    draft = order.submissions.get()

    # when the agent and the expert try to open it for the customer
    answers = [
        api.as_(p).post(f"/submissions/{draft.pk}/open") for p in (world.agent, world.expert)
    ]
    refusals = [(status, error_of(body)["code"]) for status, body in answers]

    # then they may not, and it stays unopened
    assert refusals == [(403, "forbidden"), (403, "forbidden")]
    draft.refresh_from_db()
    assert draft.customer_opened_at is None


def test_each_person_lists_exactly_the_orders_they_may_open(api, world):
    # given orders of every flow, one belonging to the stranger as a customer
    writer = world.assigned(Flow.WRITER_PORTAL)
    hub = world.order(Flow.EXPERT_HUB)
    taken = world.assigned(Flow.MARKETPLACE)  # expert2 missed it
    offered = world.order(Flow.MARKETPLACE)
    actions.invite_experts(offered, actor=world.agent, experts=[world.expert2])
    strangers = actions.place_order(actor=world.stranger, service=world.service, title="Mine")

    def listed(person) -> set[int]:
        status, page = api.as_(person).get("/orders")
        assert status == 200
        return {o["id"] for o in page["items"]}

    # then each person lists what they may open
    everything = {writer.pk, hub.pk, taken.pk, offered.pk, strangers.pk}
    assert listed(world.agent) == everything
    assert listed(world.customer) == {writer.pk, hub.pk, taken.pk, offered.pk}
    assert listed(world.expert) == {writer.pk, taken.pk}
    assert listed(world.expert2) == {offered.pk}
    assert listed(world.reviewer) == {taken.pk, offered.pk}
    assert listed(world.stranger) == {strangers.pk}
