"""A long-running order's page: the newest deliveries and messages in full, every older one a
link or two away, and the counts right."""

import html
import re

import pytest
from django.urls import reverse

from atelier.orders.models import Order, OrderFile


@pytest.fixture
def customer(client, world):
    client.force_login(world.customer)
    return client


def _follow(client, page_url: str, response, label: str):
    """Click the link named `label` on `response` (a page of `page_url`), as a reader would."""
    match = re.search(rf'<a href="([^"]*)"[^>]*>{re.escape(label)}</a>', response.text)
    assert match, f"no link {label!r}"
    href = html.unescape(match.group(1)).split("#")[0]
    return client.get(f"{page_url}{href}" if href.startswith("?") else href)


def _download_links(order: Order, **files) -> set[str]:
    return {
        reverse("file-download", args=[pk])
        for pk in OrderFile.objects.filter(order=order, **files).values_list("pk", flat=True)
    }


def test_order_page_shows_the_latest_deliveries_and_a_link_to_every_one(customer, world):
    # given an order delivered 50 times, 3 files each, each delivery answered by a revision request
    order = world.busy(submissions=50, comments=0)
    url = reverse("order-detail", args=[order.pk])

    # when the customer opens the order page
    page = customer.get(url)

    # then the newest five deliveries are shown with their files, the older ones are counted
    assert page.status_code == 200
    for n in range(46, 51):
        assert f'id="submission-{n}"' in page.text and f"part2-v{n}.txt" in page.text
    assert 'id="submission-45"' not in page.text and "part0-v45.txt" not in page.text
    assert "45 older deliveries are not shown." in page.text
    assert "45 older revision requests are not shown." in page.text  # 50 asked, 5 shown
    # and "Show all" reaches every delivered file, each with its working download link
    everything = _follow(customer, url, page, "Show all 50 deliveries")
    assert everything.status_code == 200
    assert all(f'id="submission-{n}"' in everything.text for n in range(1, 51))
    links = _download_links(order, submission__isnull=False)
    assert len(links) == 150 and all(f'href="{link}"' in everything.text for link in links)
    assert "older deliveries are not shown" not in everything.text
    assert "Show only the latest 5" in everything.text
    assert customer.get(sorted(links)[0]).status_code == 200
    # and all the revision requests too
    requests = _follow(customer, url, page, "Show all 50 revision requests")
    assert all(f"Revision {n}, please." in requests.text for n in range(2, 51))
    assert "One more change, please." in requests.text


def test_order_page_with_few_deliveries_shows_them_all_without_a_show_all_link(customer, world):
    order = world.busy(submissions=5, comments=0)
    page = customer.get(reverse("order-detail", args=[order.pk]))
    assert all(f'id="submission-{n}"' in page.text for n in range(1, 6))
    assert "Show all" not in page.text and "not shown" not in page.text


def test_order_page_without_deliveries_says_so(customer, world):
    order = world.assigned(Order.Flow.MARKETPLACE)
    page = customer.get(reverse("order-detail", args=[order.pk]))
    assert "Nothing delivered yet." in page.text and "Show all" not in page.text


def test_expert_work_tab_shows_the_latest_submissions_and_a_link_to_all(client, world):
    order = world.busy(submissions=12, comments=0)
    client.force_login(world.expert)
    url = reverse("order-detail", args=[order.pk])

    work = client.get(url, {"tab": "work"})

    assert 'id="work-submission-12"' in work.text and 'id="work-submission-7"' not in work.text
    assert "7 older submissions are not shown." in work.text
    assert "QC reviews of the 7 older submissions" in work.text
    everything = _follow(client, url, work, "Show all 12 submissions")
    assert all(f'id="work-submission-{n}"' in everything.text for n in range(1, 13))
    assert all(
        f"Draft #{n}:" in everything.text or f"Revision #{n}:" in everything.text
        for n in range(1, 13)
    )  # every submission's QC line
    links = _download_links(order, submission__isnull=False)
    assert all(f'href="{link}"' in everything.text for link in links)


def test_conversation_pages_from_the_newest_messages_to_the_oldest(customer, world):
    # given an order with 120 messages (every twentieth with a file)
    order = world.busy(submissions=1, comments=120)
    url = reverse("order-detail", args=[order.pk])

    # when the customer reads the conversation
    newest = customer.get(url, {"tab": "conversation"})

    # then the newest 50 are shown, oldest first, with a link to older messages
    assert newest.status_code == 200
    assert "Message 70." in newest.text and "Message 119." in newest.text
    assert "Message 69." not in newest.text
    assert newest.text.index("Message 70.") < newest.text.index("Message 119.")
    assert "Newer messages" not in newest.text and "No messages yet." not in newest.text
    # and "Older messages" leads, page by page, to the very first one and its file
    middle = _follow(customer, url, newest, "Older messages")
    assert "Message 20." in middle.text and "Message 69." in middle.text
    assert "Message 19." not in middle.text and "Message 70." not in middle.text
    oldest = _follow(customer, url, middle, "Older messages")
    assert "Message 0." in oldest.text and "Message 19." in oldest.text
    assert "Older messages" not in oldest.text
    first_file = _download_links(order, comment__body="Message 0.")
    assert first_file and all(f'href="{link}"' in oldest.text for link in first_file)
    # and back again
    back = _follow(customer, url, oldest, "Newer messages")
    assert "Message 20." in back.text and "Message 69." in back.text


def test_conversation_with_a_cursor_we_did_not_give_out_says_so(customer, world):
    order = world.busy(submissions=1, comments=3)
    url = reverse("order-detail", args=[order.pk])
    response = customer.get(url, {"tab": "conversation", "cursor": "edited"})
    assert response.status_code == 400
    assert "This page link is not one we gave out" in response.text
    assert "No messages yet." not in response.text
    assert "Go to the newest messages" in response.text
