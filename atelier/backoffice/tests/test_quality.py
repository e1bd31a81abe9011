"""The quality loop in the console: the appeals list (waiting first, filtered, paginated), an
appeal decided on the order's Work tab beside the review it disputes (uphold or overturn, a
reason required, decided once), the work waiting in QC given to a reviewer or put back in the
queue, each service's QC checklist edited with its policy, and the reviews' scorecards shown to
agents. Anyone but an agent gets 404."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.catalog.checklists import MAX_POINT_LENGTH, MAX_POINTS
from atelier.catalog.models import Service
from atelier.catalog.services import change_policy
from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.models import Appeal, Event, Order, Submission
from atelier.orders.rules import Mark
from atelier.orders.tests.factories import UserFactory

S = Order.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
APPEALS = reverse("console-appeals")
EVIDENCE = "The dates on page 1 do not match the certificate."
COMMENTS = "Please check the dates against the certificate of the customer."
REASON = "The certificate itself has those dates; I kept them on purpose."


CHECKLIST = ["Dates and names match the documents", "No spelling mistakes", "One page"]


@pytest.fixture(autouse=True)
def checklist(world):
    """The service's QC checklist, which reviewers mark."""
    change_policy(world.service, actor=world.agent, qc_checklist=CHECKLIST)
    world.service.refresh_from_db()


@pytest.fixture
def agent(client, world):
    client.force_login(world.agent)
    return client


def sent_back(world, order: Order | None = None, n: int = 1) -> Submission:
    """Round `n` of a marketplace order (QC), sent back by QC with the checklist's first point
    failed."""
    order = order or world.assigned(Order.Flow.MARKETPLACE)
    submission = world.submit(order, n)
    card = [
        Mark(point, passed=i > 0, comment="" if i else EVIDENCE)
        for i, point in enumerate(order.policy.qc_checklist)
    ]
    actions.review_submission(submission, actor=world.reviewer, scorecard=card, comments=COMMENTS)
    order.refresh_from_db()
    return submission


def appealed(world, order: Order | None = None, n: int = 1, reason: str = REASON) -> Appeal:
    submission = sent_back(world, order, n)
    return actions.appeal_review(submission, actor=world.expert, reason=reason)


def in_qc(world) -> Submission:
    """A marketplace order whose first submission waits in the QC queue."""
    order = world.assigned(Order.Flow.MARKETPLACE)
    return world.submit(order)


def work_tab(client, order: Order):
    return client.get(reverse("console-order", args=[order.pk]), {"tab": "work"})


def decide(client, appeal: Appeal, **data):
    return client.post(reverse("console-appeal-decide", args=[appeal.pk]), data)


def give(client, submission: Submission, **data):
    return client.post(reverse("console-qc-reviewer", args=[submission.pk]), data)


def reload[T](thing: T) -> T:
    thing.refresh_from_db()
    return thing


# --- the appeals list ------------------------------------------------------------------------


def test_the_list_shows_waiting_appeals_first_oldest_first_then_the_decided(world, agent):
    # given an appeal decided, then two waiting (the older first)
    decided = appealed(world)
    actions.decide_appeal(decided, actor=world.agent, decision="uphold", reason="It stands.")
    older, newer = appealed(world), appealed(world)

    # when an agent opens the list
    response = agent.get(APPEALS)

    # then the waiting ones come first, oldest first, then the decided one
    assert response.status_code == 200
    assert [a.pk for a in response.context["page"]] == [older.pk, newer.pk, decided.pk]
    body = response.text
    order_url = reverse("console-order", args=[older.order_id])
    assert f'href="{order_url}"' in body and f"#{older.order_id} A resume" in body
    assert f'href="{order_url}?tab=work#appeal-{older.pk}"' in body  # decide beside the review
    assert world.service.name in body and "Draft #1" in body
    assert world.expert.email in body and world.reviewer.email in body
    assert "I kept them on purpose." in body
    assert "Upheld (the send-back stands)" in body and f"by {world.agent.email}" in body


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", ["waiting"]),
        ("upheld", ["upheld"]),
        ("overturned", ["overturned"]),
        ("withdrawn", ["withdrawn"]),
        ("all", ["waiting", "upheld", "overturned", "withdrawn"]),
        ("", ["waiting", "upheld", "overturned", "withdrawn"]),
        ("nonsense", ["waiting", "upheld", "overturned", "withdrawn"]),  # a hand-edited URL
    ],
)
def test_the_status_filter_narrows_the_list(world, agent, status, expected):
    # given an appeal in each state (the withdrawn one: the expert submitted again)
    appeals = {"upheld": appealed(world), "overturned": appealed(world)}
    appeals["withdrawn"] = appealed(world)
    world.submit(appeals["withdrawn"].order, 2)
    for name, decision in (("upheld", "uphold"), ("overturned", "overturn")):
        actions.decide_appeal(appeals[name], actor=world.agent, decision=decision, reason="Yes.")
    appeals["waiting"] = appealed(world)

    # when an agent filters by status
    response = agent.get(APPEALS, {"status": status})

    # then the list holds those appeals, the waiting first
    assert [a.pk for a in response.context["page"]][0:1] == [appeals[expected[0]].pk]
    assert {a.pk for a in response.context["page"]} == {appeals[name].pk for name in expected}


def test_the_filter_answers_htmx_with_the_results_alone(world, agent):
    appealed(world)
    response = agent.get(APPEALS, {"status": "upheld"}, **HTMX)
    assert "<h1>" not in response.text
    assert "No appeal matches this filter." in response.text


def test_the_list_is_paginated_and_its_cost_does_not_grow(world, agent):
    # given one order whose expert appealed 26 send-backs, each but the last withdrawn by
    # submitting again
    order = world.assigned(Order.Flow.MARKETPLACE)
    appealed(world, order, 1)
    with CaptureQueriesContext(connection) as few:
        agent.get(APPEALS)
    for n in range(2, 27):
        appealed(world, order, n)

    # when an agent opens the list, then the next page
    with CaptureQueriesContext(connection) as many:
        first = agent.get(APPEALS)
    second = agent.get(APPEALS, {"page": 2})

    # then 25 a page, the waiting one first, for the same few queries
    assert len(first.context["page"]) == 25 and len(second.context["page"]) == 1
    assert first.context["page"][0].status == Appeal.Status.PENDING
    assert "Page 1 of 2" in first.text
    assert len(many) == len(few) <= 7


def test_an_empty_list_says_so(world, agent):
    response = agent.get(APPEALS)
    assert "No appeals: every QC send-back stands unchallenged." in response.text
    assert "0 appeals." in response.text


def test_the_top_bar_counts_the_appeals_waiting(world, agent):
    assert "Appeals</a>" in agent.get(reverse("console-orders")).text  # no badge at zero
    appealed(world)
    appealed(world)
    body = agent.get(reverse("console-orders")).text
    assert (
        f'href="{APPEALS}">Appeals <span class="badge">2<span class="visually-hidden"> waiting'
        in body
    )


@pytest.mark.parametrize("who", ["customer", "expert", "reviewer", "stranger"])
def test_the_appeal_pages_are_404_for_everyone_but_agents(world, client, who):
    # given a waiting appeal and an order waiting in QC
    appeal = appealed(world)
    waiting = in_qc(world)
    client.force_login(getattr(world, who))

    # when anyone but an agent opens the list or posts a decision or a reviewer
    listing = client.get(APPEALS)
    decision = decide(client, appeal, decision="overturn", reason="Mine.")
    reviewer = give(client, waiting, reviewer=world.reviewer.pk)

    # then each is a 404, and nothing changed
    assert (listing.status_code, decision.status_code, reviewer.status_code) == (404, 404, 404)
    assert reload(appeal).status == Appeal.Status.PENDING
    assert reload(waiting.order).qc_reviewer_id is None
    assert "Appeals" not in client.get(reverse("inbox")).text.split("<main")[0]


def test_nobody_logged_in_is_sent_to_log_in(world, client):
    appeal = appealed(world)
    assert client.get(APPEALS).status_code == 302
    assert decide(client, appeal, decision="uphold", reason="x").status_code == 302
    assert reload(appeal).status == Appeal.Status.PENDING


# --- deciding an appeal on the order page ----------------------------------------------------


def test_the_work_tab_shows_the_appeal_with_the_scorecard_it_disputes(world, agent):
    # given an appeal waiting
    appeal = appealed(world)

    # when an agent opens the order's Work tab
    response = work_tab(agent, appeal.order)

    # then the review shows the expert's reason, the scorecard (each point, pass or fail, the
    # evidence), the reviewer's comments, and the form to decide
    body = response.text
    assert f'id="appeal-{appeal.pk}"' in body
    assert REASON in body and COMMENTS in body and EVIDENCE in body
    first, second = appeal.order.policy.qc_checklist[:2]
    assert first in body and second in body
    assert '<strong class="fail">Fail</strong>' in body and '<span class="pass">Pass</span>' in body
    assert reverse("console-appeal-decide", args=[appeal.pk]) in body
    assert 'value="uphold"' in body and 'value="overturn"' in body
    # and the overview points to it, the Work tab counts it
    overview = agent.get(reverse("console-order", args=[appeal.order_id]))
    assert "1 appeal of a QC send-back to decide" in overview.text
    assert dict((key, n) for key, _, n in overview.context["tabs"])["work"] == 1


def test_overturning_delivers_the_work_to_the_customer(world, agent):
    # given an appeal of the first draft's send-back
    appeal = appealed(world)
    order = appeal.order
    assert order.status == S.IN_PROGRESS

    # when an agent overturns it with a reason
    response = decide(agent, appeal, decision="overturn", reason="The dates are right.")

    # then the draft is approved and delivered, the appeal overturned, and the page says so
    url = reverse("console-order", args=[order.pk])
    assert response.status_code == 302
    assert response.url == f"{url}?tab=work#appeal-{appeal.pk}"
    appeal = reload(appeal)
    assert appeal.status == Appeal.Status.OVERTURNED
    assert (appeal.decided_by, appeal.decision_reason) == (world.agent, "The dates are right.")
    assert reload(order).status == S.DELIVERED
    assert appeal.review.submission.delivered_at is not None
    page = agent.get(response.url)
    assert "Appeal overturned: draft #1 is approved and delivered to the customer." in page.text
    assert "Overturned (approved)" in page.text and "The dates are right." in page.text
    assert f"Decided by {world.agent.email}" in page.text
    assert reverse("console-appeal-decide", args=[appeal.pk]) not in page.text  # no form


def test_upholding_keeps_the_send_back(world, agent):
    appeal = appealed(world)
    response = decide(agent, appeal, decision="uphold", reason="Fix the dates, please.")
    assert response.status_code == 302
    assert reload(appeal).status == Appeal.Status.UPHELD
    assert reload(appeal.order).status == S.IN_PROGRESS
    assert reload(appeal.review.submission).delivered_at is None
    page = agent.get(response.url)
    assert "Appeal upheld: QC&#x27;s send-back of draft #1 stands." in page.text
    assert "Upheld (the send-back stands)" in page.text


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"decision": "overturn", "reason": "  "}, "Give a reason for your decision."),
        ({"decision": "overturn"}, "Give a reason for your decision."),
        ({"reason": "Because."}, "Choose: uphold the send-back or overturn it."),
        ({"decision": "approve", "reason": "Because."}, "Select a valid choice."),
    ],
)
def test_a_bad_decision_is_shown_on_the_page_and_changes_nothing(world, agent, data, error):
    # given an appeal waiting
    appeal = appealed(world)
    events = Event.objects.count()

    # when an agent posts without a reason (or a decision)
    response = decide(agent, appeal, **data)

    # then the Work tab comes back with the error on the form, and nothing changed
    assert response.status_code == 200 and response.context["tab"] == "work"
    assert error in response.text
    assert reload(appeal).status == Appeal.Status.PENDING
    assert reload(appeal.order).status == S.IN_PROGRESS
    assert Event.objects.count() == events


def test_a_second_decision_shows_the_conflict_and_changes_nothing(world, agent):
    # given an appeal an agent upheld
    appeal = appealed(world)
    decide(agent, appeal, decision="uphold", reason="It stands.")

    # when another decision arrives (a second tab, a colleague)
    response = decide(agent, appeal, decision="overturn", reason="No, approve it.")

    # then the page says it is decided already, and it stays upheld
    assert response.status_code == 200
    assert "This appeal is upheld (the send-back stands) already." in response.text
    assert reload(appeal).status == Appeal.Status.UPHELD
    assert reload(appeal.order).status == S.IN_PROGRESS


def test_an_appeal_that_does_not_exist_is_a_404(world, agent):
    assert agent.post(reverse("console-appeal-decide", args=[999]), {}).status_code == 404


def test_a_withdrawn_appeal_says_so_and_offers_no_form(world, agent):
    appeal = appealed(world)
    world.submit(appeal.order, 2)
    body = work_tab(agent, appeal.order).text
    assert "Appealed by expert@example.com · Withdrawn (a new round was submitted)" in body
    assert reverse("console-appeal-decide", args=[appeal.pk]) not in body


# --- the reviewer of the work waiting in QC --------------------------------------------------


@pytest.fixture
def reviewer2():
    return UserFactory(email="reviewer2@example.com", name="Rex Second", is_reviewer=True)


def test_work_waiting_in_qc_shows_who_holds_it(world, agent, reviewer2):
    # given a submission waiting in the queue
    submission = in_qc(world)

    # then the Work tab says it is in the queue and offers the active reviewers
    body = work_tab(agent, submission.order).text
    assert 'id="qc-reviewer"' in body and "in the queue" in body
    assert "reviewer2@example.com" in body and world.reviewer.email in body
    assert world.expert.email not in body.split('id="qc-reviewer"')[1].split("</select>")[0]

    # and once a reviewer claims it, who and until when
    actions.claim_review(submission, actor=world.reviewer)
    body = work_tab(agent, submission.order).text
    assert f"<strong>{world.reviewer.email}</strong> holds it until" in body


def test_an_agent_gives_the_work_to_a_reviewer(world, agent, reviewer2):
    # given a submission a reviewer claimed
    submission = in_qc(world)
    actions.claim_review(submission, actor=world.reviewer)

    # when an agent gives it to another reviewer
    response = give(agent, submission, reviewer=reviewer2.pk)

    # then it is theirs for the QC turnaround, they are told, and the page says so
    url = reverse("console-order", args=[submission.order_id])
    assert response.status_code == 302 and response.url == f"{url}?tab=work#qc-reviewer"
    order = reload(submission.order)
    assert order.qc_reviewer == reviewer2 and order.qc_claimed_until > clock.now()
    assert Notification.objects.filter(recipient=reviewer2, event="qc_reassigned").exists()
    body = agent.get(response.url).text
    assert "Submission #1 is Rex Second&#x27;s to review until" in body
    assert "<strong>reviewer2@example.com</strong> holds it until" in body


def test_an_agent_puts_the_work_back_in_the_queue(world, agent, reviewer2):
    submission = in_qc(world)
    actions.assign_reviewer(submission, actor=world.agent, reviewer=reviewer2)
    response = give(agent, submission, to_queue="1")
    assert response.status_code == 302
    order = reload(submission.order)
    assert (order.qc_reviewer, order.qc_claimed_until) == (None, None)
    body = agent.get(response.url).text
    assert "Submission #1 is back in the QC queue" in body and "in the queue" in body


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("expert2", "is not a QC reviewer who may review this order."),  # not a reviewer
        ("nobody", "Choose a reviewer, or put the work back in the queue."),
        ("unknown", "Choose an active QC reviewer."),
    ],
)
def test_a_reviewer_who_may_not_review_is_refused_and_nothing_changes(world, agent, who, error):
    # given a submission waiting in the queue
    submission = in_qc(world)
    events = Event.objects.count()
    chosen = {"expert2": world.expert2.pk, "nobody": "", "unknown": 999}[who]

    # when an agent gives it to someone who is no reviewer (or to nobody)
    response = give(agent, submission, reviewer=chosen)

    # then the error is beside the select, and nobody holds the work
    assert response.status_code == 200 and response.context["tab"] == "work"
    assert error in response.text
    assert 'id="qc-reviewer-reviewer_errors"' in response.text
    assert reload(submission.order).qc_reviewer_id is None
    assert Event.objects.count() == events


def test_the_orders_own_expert_may_not_review_it(world, agent):
    world.expert.is_reviewer = True
    world.expert.save(update_fields=["is_reviewer"])
    submission = in_qc(world)
    response = give(agent, submission, reviewer=world.expert.pk)
    assert "is not a QC reviewer who may review this order." in response.text
    assert reload(submission.order).qc_reviewer_id is None


def test_the_reviewer_panel_is_only_there_while_work_waits_in_qc(world, agent):
    # a send-back: the work is the expert's again
    submission = sent_back(world)
    assert 'id="qc-reviewer"' not in work_tab(agent, submission.order).text
    # reviewed work can no longer be given to a reviewer
    response = give(agent, submission, reviewer=world.reviewer.pk)
    assert response.status_code == 200
    assert "This submission has been reviewed already" in response.text
    assert reload(submission.order).qc_claimed_until is None


# --- scorecards on the Work tab, at a fixed cost ---------------------------------------------


def test_the_work_tab_costs_the_same_however_many_rounds_and_appeals(world, agent):
    # given an order with one appealed send-back, and one with five, both waiting in QC
    def order_with(rounds: int) -> Order:
        order = world.assigned(Order.Flow.MARKETPLACE)
        for n in range(1, rounds + 1):
            appealed(world, order, n)
        world.submit(order, rounds + 1)
        return order

    small, large = order_with(1), order_with(5)

    def cost(order: Order) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = work_tab(agent, order)
        assert response.text.count('class="list scorecard"') == len(order.submissions.all()) - 1
        return len(queries)

    # then both cost the same, within the order page's budget
    assert cost(small) == cost(large) <= 13


# --- the QC checklist, with the service's policy ---------------------------------------------


def policy_url(service: Service) -> str:
    return reverse("console-service-policy", args=[service.slug])


def post_policy(client, service: Service, checklist: str):
    values = {**service.policy.values(), "flow": service.flow, "qc_checklist": checklist}
    return client.post(policy_url(service), values)


def test_an_agent_edits_the_checklist_one_point_per_line(world, agent):
    # given the service's checklist on its policy page, one point per line
    service = world.service
    page = agent.get(policy_url(service))
    assert 'name="qc_checklist"' in page.text
    assert "\n".join(service.policy.qc_checklist) in page.text

    # when an agent writes a new one, with blank lines and spaces
    response = post_policy(agent, service, "Dates match the documents\n\n  No typos  \r\nTone\n")

    # then it is saved as a new policy version, and the services list shows it
    assert response.status_code == 302
    service = Service.objects.get(pk=service.pk)
    assert service.policy.qc_checklist == ["Dates match the documents", "No typos", "Tone"]
    listing = agent.get(reverse("console-services")).text
    assert "3 points" in listing and "Dates match the documents" in listing


def test_an_order_keeps_the_checklist_it_was_placed_under(world, agent):
    order = world.order(Order.Flow.MARKETPLACE)
    before = list(order.policy.qc_checklist)
    post_policy(agent, world.service, "Only this")
    assert reload(order).policy.qc_checklist == before


@pytest.mark.parametrize(
    ("checklist", "error"),
    [
        ("\n".join(f"Point {n}" for n in range(MAX_POINTS + 1)), f"at most {MAX_POINTS} points"),
        ("x" * (MAX_POINT_LENGTH + 1), f"at most {MAX_POINT_LENGTH} characters"),
        ("No typos\nno  TYPOS", "is in the checklist twice"),
    ],
)
def test_a_bad_checklist_is_refused_beside_its_field_and_changes_nothing(
    world, agent, checklist, error
):
    # given the service's policy version
    version = world.service.policy_id

    # when an agent saves a checklist the engine refuses
    response = post_policy(agent, world.service, checklist)

    # then the error is beside the checklist, and the policy is as it was
    assert response.status_code == 400
    assert 'id="id_qc_checklist_errors"' in response.text and error in response.text
    assert Service.objects.get(pk=world.service.pk).policy_id == version


def test_an_empty_checklist_means_no_scorecard(world, agent):
    post_policy(agent, world.service, "\n\n")
    assert Service.objects.get(pk=world.service.pk).policy.qc_checklist == []
    assert "none" in agent.get(reverse("console-services")).text
