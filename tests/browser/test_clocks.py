"""Every reader sees their order's clocks as countdowns, with the exact moment on hover; the
expert asks for more time and the customer gives it, in the browser."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from atelier.core import clock
from atelier.orders.models import Order


def clock_chip(page, label: str):
    return page.locator(".clock").filter(has_text=label)


def test_each_role_sees_its_countdowns_and_more_time_is_asked_and_given(people, world):
    # given an expert-hub order delivered a day ago, a marketplace order waiting in QC, and a
    # writer-portal order in progress, due in five days
    with clock.frozen_at(clock.now() - timedelta(days=1)):
        hub = world.delivered(Order.Flow.EXPERT_HUB, title="Cover letter for a bank")
    in_qc = world.assigned(Order.Flow.MARKETPLACE, title="Translate a diploma")
    world.submit(in_qc)
    working = world.assigned(title="Resume for a chef")

    # the customer sees when the work is due, the exact moment on hover, and when the expert
    # may close the hub order
    casey = people.login(world.customer.email)
    casey.clock.install()  # the page's own clock, to see the countdown keep time
    casey.goto(f"/orders/{working.pk}/")
    due = clock_chip(casey, "Delivery due")
    expect(due).to_contain_text(re.compile(r"in (4 days 23 h|5 days)"))
    moment = due.locator("time")
    expect(moment).to_have_attribute("title", re.compile(r"\w{3} \d+ \w{3} \d{4}, \d\d:\d\d"))
    casey.clock.fast_forward("03:00:00")  # a page left open three hours: static/js/clocks.js
    expect(due).to_contain_text(re.compile(r"in 4 days (19|20) h"))
    casey.goto(f"/orders/{hub.pk}/")
    expect(clock_chip(casey, "Expert may close")).to_contain_text(
        re.compile(r"in (5 days 23 h|6 days)")
    )

    # the expert sees when they may close the hub order, and asks for more time on the other
    erin = people.login(world.expert.email)
    erin.goto(f"/orders/{hub.pk}/")
    expect(clock_chip(erin, "Expert may close")).to_contain_text(
        re.compile(r"in (5 days 23 h|6 days)")
    )
    erin.goto(f"/orders/{working.pk}/?tab=work")
    erin.locator("#work-extension summary").click()
    later = (working.due_at + timedelta(days=2)).astimezone(clock.now().tzinfo)
    erin.get_by_label("New due date").fill(later.strftime("%Y-%m-%dT%H:%M"))
    erin.get_by_label("Why").fill("The customer sent three more job descriptions.")
    erin.locator("#work-extension").get_by_role("button", name="Ask for more time").click()
    expect(erin.get_by_text("More time asked for: the customer answers.")).to_be_visible()

    # the customer sees the request as a clock and gives the time
    casey.goto(f"/orders/{working.pk}/")
    expect(clock_chip(casey, "Answer the request for more time")).to_be_visible()
    casey.get_by_role("button", name="Give more time").click()
    expect(casey.get_by_text("More time given")).to_be_visible()
    expect(clock_chip(casey, "Delivery due")).to_contain_text(
        re.compile(r"in (6 days 23 h|7 days)")
    )

    # the reviewer sees the QC clock; the agent sees it too, in the console
    rita = people.login(world.reviewer.email)
    rita.goto("/qc/")
    rita.get_by_role("link", name=re.compile("Translate a diploma")).first.click()
    expect(clock_chip(rita, "QC review due")).to_contain_text(
        re.compile(r"in (23 h \d+ min|1 day)")
    )
    alex = people.login(world.agent.email)
    alex.goto(f"/console/orders/{in_qc.pk}/")
    expect(clock_chip(alex, "QC review due")).to_be_visible()
    expect(clock_chip(alex, "Delivery due")).to_be_visible()
