"""The three flows of DESIGN.md end to end, as the four roles click them in a browser."""

import re
from datetime import timedelta

from django.core import mail
from playwright.sync_api import Page, expect

from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.models import Order

S = Order.Status


def deliver_in_browser(page: Page, order: Order, files: dict[str, str], tmp_path) -> None:
    """The expert uploads a submission of several titled files on the "Your work" tab."""
    page.goto(f"/orders/{order.pk}/?tab=work")
    for n, (title, name) in enumerate(files.items(), start=1):
        path = tmp_path / name
        path.write_text(f"{title}: the expert's words.\n")
        if n > 1 and not page.get_by_label(f"File {n}").count():
            page.get_by_role("button", name="Add another file").click()
        page.get_by_label(f"File {n}", exact=False).first.set_input_files(str(path))
        page.get_by_label(f"Title of file {n}").fill(title)
    page.get_by_label(re.compile("^Notes for")).fill("Tightened the summary.")
    button = "Send to QC" if order.qc_required else "Deliver to the customer"
    page.get_by_role("button", name=button).click()
    done = re.compile(rf"#\d+ \({len(files)} files?\)")
    expect(page.get_by_role("status").get_by_text(done)).to_be_visible()


def test_marketplace_speedy_raced_by_two_experts_then_qc_then_customer(people, world, tmp_path):
    # given a speedy translation offered to two pros
    order = world.order(Order.Flow.MARKETPLACE, title="Translate a diploma")
    mine, theirs = actions.invite_experts(
        order, actor=world.agent, experts=[world.expert, world.expert2]
    )
    erin = people.login(world.expert.email)
    ezra = people.login(world.expert2.email)
    erin.goto(f"/invitations/{mine.pk}/")
    ezra.goto(f"/invitations/{theirs.pk}/")
    expect(erin.get_by_role("button", name="Accept for 120.00 USD")).to_be_visible()
    expect(ezra.get_by_role("button", name="Accept for 120.00 USD")).to_be_visible()

    # when both accept, Erin first
    erin.get_by_role("button", name="Accept for 120.00 USD").click()
    ezra.get_by_role("button", name="Accept for 120.00 USD").click()

    # then Erin has the order and Ezra a "taken" page without its details
    expect(erin.get_by_role("heading", name=re.compile("Translate a diploma"))).to_be_visible()
    expect(ezra.get_by_role("heading", name="This order was taken")).to_be_visible()
    expect(ezra.get_by_text("Translate a diploma")).to_have_count(0)
    expect(ezra.get_by_text("One page, please.")).to_have_count(0)
    order.refresh_from_db()
    assert order.expert == world.expert

    # Erin delivers two files; the customer sees nothing while QC checks
    deliver_in_browser(
        erin, order, {"Translation": "diploma-de.txt", "Glossary": "glossary.txt"}, tmp_path
    )
    order.refresh_from_db()
    assert order.status == S.IN_QC
    customer = people.login(world.customer.email)
    customer.goto(f"/orders/{order.pk}/")
    expect(customer.get_by_text("Nothing delivered yet")).to_be_visible()

    # the reviewer approves from the QC queue
    reviewer = people.login(world.reviewer.email)
    reviewer.goto("/qc/")
    reviewer.get_by_role("link", name=re.compile("Translate a diploma")).click()
    expect(reviewer.get_by_role("link", name="Glossary")).to_be_visible()
    reviewer.get_by_role("button", name="Approve").click()
    expect(
        reviewer.get_by_text("The QC queue is empty").or_(reviewer.get_by_text("approved"))
    ).not_to_have_count(0)

    # the customer downloads and completes
    customer.reload()
    expect(customer.get_by_role("link", name="Translation")).to_be_visible()
    with customer.expect_download() as download:
        customer.get_by_role("link", name="Glossary").click()
    assert download.value.suggested_filename == "glossary.txt"
    customer.get_by_role("link", name="Complete the order…").click()
    customer.get_by_label("Yes, I am happy").check()
    customer.get_by_role("button", name="Complete the order").click()
    expect(customer.get_by_role("heading", name=re.compile("Your documents"))).to_be_visible()
    order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_expert_hub_close_with_farewell_and_the_link_to_final_documents(people, world, tmp_path):
    # given an expert-hub order delivered 8 days ago (the browser cannot wait a week, so the
    # delivery is placed in the past through the engine)
    order = world.assigned(Order.Flow.EXPERT_HUB, title="Cover letter for a bank")
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)
    erin = people.login(world.expert.email)

    # while the customer has not opened it, Erin may only ask an agent to close
    erin.goto(f"/orders/{order.pk}/?tab=work")
    expect(erin.get_by_text("The customer has not opened the latest delivery yet.")).to_be_visible()
    expect(erin.get_by_role("button", name="Request close")).to_be_visible()

    # the customer reads the delivery
    customer = people.login(world.customer.email)
    customer.goto(f"/orders/{order.pk}/")
    expect(customer.get_by_role("link", name="Resume")).to_be_visible()
    customer.get_by_role("button", name="Log out").click()

    # when Erin closes, first removing the fixed link line
    erin.goto(f"/orders/{order.pk}/?tab=work")
    erin.get_by_role("button", name="Close order…").click()
    expect(erin.get_by_text("resume-v1.txt")).to_be_visible()  # the final documents
    farewell = erin.get_by_label(re.compile("^Message to"))
    original = farewell.input_value()
    link_line = next(line for line in original.splitlines() if "/link/" in line)
    farewell.fill(original.replace(link_line, "See you!"))
    erin.get_by_role("button", name="Close order and send farewell").click()

    # then it is refused with a clear message and the order stays open
    expect(erin.get_by_text(re.compile("Keep the line"))).to_be_visible()
    order.refresh_from_db()
    assert order.status == S.DELIVERED

    # when the line is kept (the rest edited), it closes and sends
    erin.get_by_label(re.compile("^Message to")).fill(
        "Dear Casey,\n\nIt was a pleasure.\n\n" + link_line + "\n\nErin"
    )
    erin.get_by_role("button", name="Close order and send farewell").click()
    expect(erin.get_by_text(re.compile("closed", re.I)).first).to_be_visible()
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    [farewell_note] = Notification.objects.filter(recipient=world.customer, event="farewell")
    url = re.search(r"https?://\S+/link/\S+", farewell_note.context["message"]).group(0)
    path = "/link/" + url.split("/link/", 1)[1]

    # the expert opening the customer's link sees their own view of the order
    erin.goto(path)
    expect(erin.get_by_text("That link is the customer's way")).to_be_visible()

    # a stranger's browser learns nothing of the order and is signed in as nobody
    stranger = people.page()
    stranger.goto(path)
    expect(stranger.get_by_role("heading", name="Your final documents are ready")).to_be_visible()
    expect(stranger.get_by_text("Cover letter for a bank")).to_have_count(0)
    expect(stranger.get_by_role("link", name="Log in").first).to_be_visible()

    # the customer, logged out, signs in from it and lands on the final documents
    customer.goto(path)
    customer.get_by_role("link", name="Log in").last.click()
    customer.get_by_label("Email").fill(world.customer.email)
    customer.get_by_label("Password").fill("pw-for-tests")
    customer.get_by_role("button", name="Log in").click()
    expect(customer.get_by_role("heading", name=re.compile("Your documents for"))).to_be_visible()
    expect(customer.get_by_role("link", name="Resume")).to_be_visible()
    # and every later click goes straight there
    customer.goto(path)
    expect(customer.get_by_role("heading", name=re.compile("Your documents for"))).to_be_visible()

    # a code asked for from the link goes to the customer's own address, and signs them in
    mail.outbox.clear()
    stranger.get_by_role("button", name="E-mail me a sign-in code").click()
    expect(stranger.get_by_label("Code")).to_be_visible()
    [message] = mail.outbox
    assert message.to == [world.customer.email]
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.MULTILINE).group(1)
    stranger.get_by_label("Code").fill(code)
    stranger.get_by_role("button", name=re.compile("Sign In|Confirm", re.I)).click()
    expect(stranger.get_by_role("heading", name=re.compile("Your documents for"))).to_be_visible()


def test_writer_portal_order_assign_deliver_revise_complete(people, world, tmp_path):
    # the customer places an order
    customer = people.login(world.customer.email)
    customer.goto("/orders/new/")
    customer.get_by_label("Service").select_option(label=world.service.name)
    customer.get_by_label("Title").fill("Resume for a nurse")
    customer.get_by_role("button", name="Place order").click()
    expect(customer.get_by_text("Your order is placed")).to_be_visible()
    order = Order.objects.get(title="Resume for a nurse")

    # an agent finds it in the console and assigns Erin
    agent = people.login(world.agent.email)
    agent.goto("/console/?q=nurse")
    agent.get_by_role("link", name=re.compile("Resume for a nurse")).click()
    agent.locator("summary", has_text="Assign an expert").click()
    assign = agent.locator("form").filter(has=agent.get_by_role("button", name="Assign an expert"))
    assign.get_by_label("Expert").select_option(world.expert.email)
    assign.get_by_role("button", name="Assign an expert").click()
    expect(agent.get_by_role("status")).to_contain_text("assign")
    order.refresh_from_db()
    assert (order.status, order.expert) == (S.IN_PROGRESS, world.expert)

    # Erin finds it on her dashboard and delivers
    erin = people.login(world.expert.email)
    expect(erin.get_by_role("link", name=re.compile("Resume for a nurse"))).to_be_visible()
    deliver_in_browser(erin, order, {"Resume": "nurse-resume.txt"}, tmp_path)

    # the customer asks for a revision
    customer.goto(f"/orders/{order.pk}/")
    expect(customer.get_by_role("link", name="Resume")).to_be_visible()
    customer.get_by_text("Ask for a revision", exact=True).click()
    customer.get_by_label("What should change?").fill("Add my ICU certification.")
    customer.get_by_role("button", name="Send revision request").click()
    expect(customer.get_by_text("Your revision request is on its way")).to_be_visible()

    # Erin reads it on her work tab and delivers a revision
    erin.goto(f"/orders/{order.pk}/?tab=work")
    expect(erin.get_by_text("Add my ICU certification.", exact=True)).to_be_visible()
    deliver_in_browser(erin, order, {"Resume": "nurse-resume-v2.txt"}, tmp_path)

    # the customer completes
    customer.goto(f"/orders/{order.pk}/")
    expect(customer.get_by_text("Revision #2")).to_be_visible()
    customer.get_by_role("link", name="Complete the order…").click()
    customer.get_by_label("Yes, I am happy").check()
    customer.get_by_role("button", name="Complete the order").click()
    expect(customer.get_by_role("link", name="Resume")).to_be_visible()
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert order.submissions.count() == 2
