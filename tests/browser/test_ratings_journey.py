"""After completion, by clicking: the customer rates the delivery with a tip, sees the rating,
orders again (the form prefilled, a booking of the same expert), and the expert reads the rating
on their ratings page."""

from playwright.sync_api import expect

from atelier.orders import actions
from atelier.orders.models import Rating


def test_customer_rates_tips_and_orders_again_and_the_expert_reads_it(people, world):
    # given a completed order
    order = world.delivered(title="Resume for a PM role", instructions="Keep it to one page.")
    actions.complete_order(order, actor=world.customer)

    # when the customer rates it 5 stars with words and a tip, on the order page
    page = people.login(world.customer.email)
    page.goto(f"/orders/{order.pk}/")
    card = page.locator("#rating")
    expect(card.get_by_role("heading", name="Rate this delivery")).to_be_visible()
    card.get_by_label("5 stars").check()
    card.get_by_label("A few words").fill("Two interviews already. Thank you!")
    card.get_by_label(f"Tip for {world.expert.display_name}").fill("15.00")
    card.get_by_role("button", name="Send rating").click()

    # then the card becomes the rating
    expect(card.get_by_role("heading", name="Your rating")).to_be_visible()
    expect(card.get_by_text("5 out of 5 stars")).to_be_visible()
    expect(card.get_by_text("Two interviews already. Thank you!")).to_be_visible()
    expect(card.get_by_text("15.00 USD")).to_be_visible()
    assert Rating.objects.get(order=order).tip_amount == 15

    # when they order again, then the new order's form is prefilled for the same expert
    card.get_by_role("link", name="Order again").click()
    expect(page.get_by_role("heading", name="Order again")).to_be_visible()
    expect(page.get_by_text(f"A booking with {world.expert.display_name}")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Resume for a PM role")
    expect(page.get_by_label("Instructions")).to_have_value("Keep it to one page.")
    expect(page.get_by_label("Service")).to_have_value(str(order.service_id))

    # and the expert reads the rating on their ratings page
    expert = people.login(world.expert.email)
    expert.get_by_role("link", name="My work").click()
    expert.get_by_role("link", name="My ratings").click()
    expect(expert.get_by_role("heading", name="My ratings", exact=True)).to_be_visible()
    expect(expert.get_by_text("5.0 out of 5")).to_be_visible()
    rating = expert.locator("article").filter(has_text="Resume for a PM role")
    expect(rating.get_by_text("Two interviews already. Thank you!")).to_be_visible()
    expect(rating.get_by_text("15.00 USD")).to_be_visible()
