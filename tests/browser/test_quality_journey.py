"""The quality loop, by clicking: the customer's revision checklist answered point by point,
and QC's scorecard: a reviewer claims a submission, fails a point with evidence, the expert
reads the card and appeals, and the customer never sees any of QC's side."""

import pytest
from playwright.sync_api import expect

from atelier.orders import actions
from atelier.orders.models import Appeal, Order, RevisionItem
from atelier.orders.tests.factories import ServiceFactory


def test_customer_asks_point_by_point_and_reads_what_was_done(people, world):
    # given a delivered order
    order = world.delivered(title="Resume for a PM role")

    # when the customer asks for a revision of two points, adding a box for the second
    page = people.login(world.customer.email)
    page.goto(f"/orders/{order.pk}/")
    page.get_by_text("Ask for a revision", exact=True).click()
    page.get_by_label("What should change?").fill("Add my 2024 promotion.")
    for box in page.locator("textarea[name=items]").all()[1:]:
        box.fill("")
    page.get_by_role("button", name="Add another point").click()
    expect(page.get_by_label("Point 4")).to_be_focused()
    page.get_by_label("Point 4").fill("Shorter summary.")
    page.get_by_role("button", name="Send revision request").click()
    expect(page.get_by_text("Your revision request is on its way")).to_be_visible()
    assert list(RevisionItem.objects.values_list("text", flat=True)) == [
        "Add my 2024 promotion.",
        "Shorter summary.",
    ]

    # when the expert submits the next round, ticking the first point with a note
    expert = people.login(world.expert.email)
    expert.goto(f"/orders/{order.pk}/?tab=work")
    upload = expert.locator("#work")
    expect(upload.get_by_text("What this round answers")).to_be_visible()
    expert.set_input_files("#work-file-1", files=[_file("resume-v2.txt")])
    expert.fill("#work-title-1", "Resume")
    first = RevisionItem.objects.order_by("position").first()
    expert.locator(f"input[name=addressed][value='{first.pk}']").check()
    expert.get_by_label("Note on point 1").fill("Added under Experience.")
    expert.get_by_label("Note on point 2").fill("It is three lines already.")
    expert.get_by_role("button", name="Deliver to the customer").click()
    expect(expert.get_by_text("delivered to the customer")).to_be_visible()

    # then the customer reads, point by point, what was done
    page.goto(f"/orders/{order.pk}/")
    requests = page.locator("#revision-requests ~ article").first
    expect(requests.get_by_text("✓ Addressed")).to_be_visible()
    expect(requests.get_by_text("Added under Experience.")).to_be_visible()
    expect(requests.get_by_text("✗ Not addressed")).to_be_visible()
    expect(requests.get_by_text("It is three lines already.")).to_be_visible()


def _file(name: str) -> dict:
    return {"name": name, "mimeType": "text/plain", "buffer": b"Version 2\n"}


@pytest.fixture
def in_qc(world) -> Order:
    service = ServiceFactory(
        slug="proofreading", policy__qc_checklist=["Follows the brief", "No typos"]
    )
    order = world.assigned(Order.Flow.MARKETPLACE, service=service, title="Proofread a thesis")
    world.submit(order)
    return order


def test_reviewer_fails_a_point_and_the_expert_appeals(people, world, in_qc):
    # given a submission waiting in QC
    order = in_qc

    # when the reviewer claims it from the queue
    reviewer = people.login(world.reviewer.email)
    reviewer.goto("/qc/")
    expect(reviewer.get_by_role("rowheader", name="Waiting for a reviewer")).to_be_visible()
    reviewer.get_by_role("button", name="Claim").click()
    expect(reviewer.get_by_text("It is yours to review until")).to_be_visible()

    # and fails a point without evidence, then the card is refused, saying why
    card = reviewer.locator("fieldset.scorecard-form")
    card.get_by_role("radiogroup", name="Follows the brief").get_by_label("Fail").check()
    card.get_by_role("radiogroup", name="No typos").get_by_label("Pass").check()
    reviewer.get_by_role("button", name="Send back to the expert").click()
    expect(
        reviewer.get_by_role("alert").get_by_text("Say what fails “Follows the brief”")
    ).to_be_visible()

    # when they give the evidence and send it back
    card.get_by_role("radiogroup", name="Follows the brief").get_by_label("Fail").check()
    card.get_by_role("radiogroup", name="No typos").get_by_label("Pass").check()
    card.get_by_label("Evidence for “Follows the brief”").fill("Chapter 3 is not proofread.")
    reviewer.get_by_role("button", name="Send back to the expert").click()
    expect(reviewer.get_by_text("Sent back: the expert has your comments")).to_be_visible()

    # then the expert reads the card on their work tab, and appeals
    expert = people.login(world.expert.email)
    expert.goto(f"/orders/{order.pk}/?tab=work")
    qc = expert.locator("#work-review-1")
    expect(qc.get_by_text("Chapter 3 is not proofread.").first).to_be_visible()
    qc.get_by_text("Appeal this send-back").click()
    qc.get_by_label("Why is QC's send-back wrong?").fill("The brief excludes chapter 3.")
    qc.get_by_role("button", name="Send the appeal").click()
    expect(expert.get_by_text("Your appeal is with the agents")).to_be_visible()
    expect(expert.get_by_text("Appeal: Waiting for an agent")).to_be_visible()
    appeal = Appeal.objects.get()
    assert appeal.reason == "The brief excludes chapter 3."

    # and the customer sees nothing of it
    customer = people.login(world.customer.email)
    customer.goto(f"/orders/{order.pk}/")
    expect(customer.get_by_role("heading", name="Proofread a thesis")).to_be_visible()
    expect(customer.get_by_text("Chapter 3 is not proofread.")).to_have_count(0)
    expect(customer.get_by_text("appeal", exact=False)).to_have_count(0)


def test_the_rework_comes_back_to_the_same_reviewer(people, world, in_qc):
    # given a send-back the expert answered with a new round
    order = in_qc
    first = order.submissions.get()
    actions.review_submission(first, actor=world.reviewer, decision="revise", comments="Typos.")
    world.submit(order, 2)

    # then it is first in the reviewer's queue, as their rework
    reviewer = people.login(world.reviewer.email)
    reviewer.goto("/qc/")
    row = reviewer.locator("tr.mine")
    expect(row.get_by_text("Your rework")).to_be_visible()
    row.get_by_role("link", name=f"#{order.pk} Proofread a thesis").click()
    expect(reviewer.get_by_text("You hold this review until")).to_be_visible()
    expect(reviewer.get_by_text("What this round answers, point by point")).to_be_visible()
