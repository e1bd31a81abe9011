"""A customer places an order, reads a delivery, asks for a revision and completes, by clicking."""

from playwright.sync_api import expect

from atelier.orders.models import Order


def test_customer_places_an_order_with_a_document(people, world, tmp_path):
    resume = tmp_path / "old-resume.txt"
    resume.write_text("Casey, project manager")
    page = people.login(world.customer.email)

    page.get_by_role("link", name="New order", exact=True).click()
    page.get_by_label("Service").select_option(label=world.service.name)
    page.get_by_label("Title").fill("Resume for a PM role")
    page.get_by_label("Instructions").fill("One page, please.")
    page.get_by_label("Documents").set_input_files(str(resume))
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name="Resume for a PM role")).to_be_visible()
    expect(page.get_by_text("Your order is placed")).to_be_visible()
    expect(page.get_by_role("link", name="old-resume.txt")).to_be_visible()
    order = Order.objects.get(title="Resume for a PM role")
    assert order.customer == world.customer


def test_customer_asks_for_a_revision_then_completes(people, world):
    order = world.delivered()
    page = people.login(world.customer.email)

    page.get_by_role("link", name=f"#{order.pk} {order.title}").click()
    expect(page.get_by_role("link", name="Resume")).to_be_visible()
    page.get_by_text("Ask for a revision", exact=True).click()
    page.get_by_label("What should change?").fill("Please add my 2024 promotion.")
    page.get_by_role("button", name="Send revision request").click()
    expect(page.get_by_text("Your revision request is on its way")).to_be_visible()

    world.submit(order, 2)
    page.reload()
    page.get_by_role("link", name="Complete the order…").click()
    page.get_by_role("button", name="Complete the order").click()
    expect(page.get_by_text("Tick the box to confirm.")).to_be_visible()
    page.get_by_label("Yes, I am happy").check()
    page.get_by_role("button", name="Complete the order").click()

    expect(page.get_by_role("heading", name=f"Your documents for “{order.title}”")).to_be_visible()
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED


def test_customer_of_a_long_order_reaches_the_first_delivery_and_message(people, world):
    order = world.busy(submissions=8, comments=60)
    page = people.login(world.customer.email)

    page.get_by_role("link", name=f"#{order.pk} {order.title}").click()
    expect(page.get_by_role("link", name="Part 0").first).to_be_visible()  # the newest five
    expect(page.locator("#submission-1")).to_have_count(0)
    page.get_by_role("link", name="Show all 8 deliveries").click()
    first = page.locator("#submission-1")
    expect(first.get_by_text("part0-v1.txt")).to_be_visible()
    with page.expect_download() as download:
        first.get_by_role("link", name="Part 0").click()
    assert download.value.suggested_filename == "part0-v1.txt"

    page.get_by_role("link", name="Conversation").click()
    expect(page.get_by_text("Message 59.")).to_be_visible()
    expect(page.get_by_text("Message 9.", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Older messages").click()
    expect(page.get_by_text("Message 0.", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Older messages")).to_have_count(0)
