"""The expert's pages: dashboard, invitations, the work tab's upload, close flow, flags and fees."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from atelier.core import clock
from atelier.orders import actions
from atelier.orders.models import (
    AccessLink,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    QCReview,
    Submission,
)
from atelier.orders.tests.factories import ServiceFactory

Flow = Order.Flow
S = Order.Status


def _login(client, user):
    client.force_login(user)
    return client


def _upload(name: str, text: str = "Some words.\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def _speedy(world, **fields) -> Order:
    order = world.order(Flow.MARKETPLACE, **{"title": "Translate a contract", **fields})
    actions.invite_experts(order, actor=world.agent, experts=[world.expert, world.expert2])
    return order


def _work_url(order: Order) -> str:
    return reverse("order-detail", args=[order.pk]) + "?tab=work#work"


# --- dashboard --------------------------------------------------------------------------------


def _groups(response) -> dict[str, list[str]]:
    return {g.slug: [row.title for row in g.rows] for g in response.context["groups"]}


def test_dashboard_groups_each_order_by_what_needs_doing(world, client):
    # given one order of the expert's in every situation, and another expert's order
    _speedy(world, title="Invited")
    world.assigned(title="To start")
    revision = world.delivered(title="Customer wants changes")
    world.revise(revision)
    sent_back = world.assigned(Flow.MARKETPLACE, title="QC sent back")
    actions.review_submission(
        world.submit(sent_back), actor=world.reviewer, decision="revise", comments="Typos."
    )
    closable = world.assigned(Flow.EXPERT_HUB, title="Closable")
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(closable)
    world.open_latest(closable)
    world.delivered(Flow.EXPERT_HUB, title="Delivered today")
    world.delivered(title="Writer portal delivered")
    world.submit(world.assigned(Flow.MARKETPLACE, title="With QC"))
    done = world.delivered(title="Finished")
    actions.complete_order(done, actor=world.customer)
    other = world.order(title="Someone else's")
    actions.assign_expert(other, actor=world.agent, expert=world.expert2)

    # when the expert opens their dashboard
    response = _login(client, world.expert).get(reverse("expert-dashboard"))

    # then each order is in its group and only there
    assert response.status_code == 200
    assert _groups(response) == {
        "new": ["Invited", "To start"],
        "revision": ["Customer wants changes", "QC sent back"],
        "closable": ["Closable"],
        "ask_agent": [],
        # soonest next deadline first: auto-complete in 3 days, closing in 7
        "waiting": ["Writer portal delivered", "Delivered today"],
        "with_agent": [],
        "in_qc": ["With QC"],
        "done": ["Finished"],
    }
    html = response.content.decode()
    assert "Someone else" not in html
    invitation = Invitation.objects.get(expert=world.expert, order__title="Invited")
    assert reverse("invitation-detail", args=[invitation.pk]) in html
    # the next date is shown in the viewer's zone, named
    closable.refresh_from_db()
    assert date_format(localtime(closable.closable_at), "D j M Y, H:i T") in html


def test_dashboard_lists_as_closable_only_what_the_expert_may_close_alone(world, client):
    # given two expert-hub orders past their closing date: one delivery the customer opened,
    # one they never did
    opened = world.assigned(Flow.EXPERT_HUB, title="Opened")
    unopened = world.assigned(Flow.EXPERT_HUB, title="Unopened")
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(opened)
        world.deliver(unopened)
    world.open_latest(opened)

    # when the expert opens their dashboard
    response = _login(client, world.expert).get(reverse("expert-dashboard"))

    # then "Closable now" holds only the one they may close, as the close action itself says
    groups = _groups(response)
    assert groups["closable"] == ["Opened"]
    assert actions.close_info(opened, actor=world.expert).closable
    # and the other waits for an agent, with the reason
    assert groups["ask_agent"] == ["Unopened"]
    assert actions.close_info(unopened, actor=world.expert).needs_agent
    html = response.content.decode()
    assert "Ask an agent to close" in html
    assert "The customer has not opened the latest delivery yet." in html


def test_dashboard_puts_each_order_under_whoever_it_waits_for(world, client):
    # given a service whose revision requests an agent checks first, and two orders on it: one
    # request waiting for that check, one turned into a fee the customer has to accept
    checked = ServiceFactory(slug="translation", revision_triage=True)
    in_triage = world.delivered(title="Waiting for triage", service=checked)
    world.revise(in_triage)
    quoted = world.delivered(title="Fee quoted", service=checked)
    actions.triage_revision(
        world.revise(quoted), actor=world.agent, decision="fee", fee_amount="25.00"
    )

    # when the expert opens their dashboard
    groups = _groups(_login(client, world.expert).get(reverse("expert-dashboard")))

    # then the first waits on an agent, the second on the customer
    assert groups["with_agent"] == ["Waiting for triage"]
    assert groups["waiting"] == ["Fee quoted"]
    assert groups["revision"] == []


def test_dashboard_shows_empty_groups_and_balances(world, client):
    # given an expert with one completed order (reward pending)
    done = world.delivered()
    actions.complete_order(done, actor=world.customer)

    response = _login(client, world.expert).get(reverse("expert-dashboard"))

    html = response.content.decode()
    assert "No new invitations or orders." in html
    assert "Nothing in QC." in html
    assert "120.00 pending" in html


def test_dashboard_query_count_does_not_grow_with_orders(
    world, client, django_assert_max_num_queries
):
    # given many orders in every group
    for n in range(4):
        _speedy(world, title=f"Invited {n}")
        world.assigned(title=f"To start {n}")
        world.delivered(Flow.EXPERT_HUB, title=f"Delivered {n}")
        world.submit(world.assigned(Flow.MARKETPLACE, title=f"QC {n}"))
        actions.complete_order(world.delivered(title=f"Done {n}"), actor=world.customer)
    _login(client, world.expert)

    # then the page takes a fixed number of queries
    with django_assert_max_num_queries(8):
        response = client.get(reverse("expert-dashboard"))
    assert response.status_code == 200


def test_a_busy_dashboard_shows_each_group_bounded_and_every_order_one_click_away(world, client):
    # given an expert with 30 orders to start and 12 completed
    for n in range(30):
        world.assigned(title=f"To start {n:02}")
    for n in range(12):
        actions.complete_order(world.delivered(title=f"Done {n:02}"), actor=world.customer)
    _login(client, world.expert)

    # the overview shows the first 10 of a group and links to all of it
    page = client.get(reverse("expert-dashboard")).content.decode()
    assert len(re.findall(r"To start \d\d", page)) == 10
    assert "Show all 30 in “New”" in page
    assert len(re.findall(r"Done \d\d", page)) == 10  # the 10 most recent
    assert "All your completed orders" in page

    # the group alone is paginated and reaches every order
    seen = set()
    for number in (1, 2):
        group_page = client.get(reverse("expert-dashboard"), {"group": "new", "page": number})
        seen |= set(re.findall(r"To start \d\d", group_page.content.decode()))
    assert seen == {f"To start {n:02}" for n in range(30)}
    done = client.get(reverse("expert-dashboard"), {"group": "done"}).content.decode()
    assert len(set(re.findall(r"Done \d\d", done))) == 12
    assert client.get(reverse("expert-dashboard"), {"group": "nope"}).status_code == 404


# --- invitations ------------------------------------------------------------------------------


def test_invitation_page_shows_the_details_and_the_reward_beside_accept(world, client):
    order = _speedy(world, instructions="From German, 3 pages.")
    invitation = order.invitations.get(expert=world.expert)

    response = _login(client, world.expert).get(reverse("invitation-detail", args=[invitation.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Translate a contract" in html and "From German, 3 pages." in html
    assert world.service.name in html
    accept_url = reverse("invitation-accept", args=[invitation.pk])
    accept_form = re.search(rf'<form[^>]*action="{accept_url}".*?</form>', html, re.S).group(0)
    assert "120.00 USD" in accept_form and "<button" in accept_form
    assert reverse("invitation-decline", args=[invitation.pk]) in html


def test_first_accept_wins_and_lands_on_the_order(world, client):
    order = _speedy(world)
    invitation = order.invitations.get(expert=world.expert)

    response = _login(client, world.expert).post(reverse("invitation-accept", args=[invitation.pk]))

    assert response.status_code == 302
    assert response.url == reverse("order-detail", args=[order.pk])
    order.refresh_from_db()
    assert order.expert == world.expert and order.status == S.IN_PROGRESS


def test_the_winners_invitation_link_leads_to_the_order(world, client):
    order = _speedy(world)
    invitation = order.invitations.get(expert=world.expert)
    actions.accept_invitation(invitation, actor=world.expert)

    response = _login(client, world.expert).get(reverse("invitation-detail", args=[invitation.pk]))

    assert response.status_code == 302
    assert response.url == reverse("order-detail", args=[order.pk])


def test_a_late_accept_gets_the_taken_page_without_the_orders_details(world, client):
    # given expert won the speedy
    order = _speedy(world, instructions="Secret contract text.")
    actions.accept_invitation(order.invitations.get(expert=world.expert), actor=world.expert)
    late = order.invitations.get(expert=world.expert2)
    _login(client, world.expert2)

    # when expert2 accepts, and later opens the invitation
    accepted = client.post(reverse("invitation-accept", args=[late.pk]))
    opened = client.get(reverse("invitation-detail", args=[late.pk]))

    # then they hear it was taken, and see nothing of the order
    for response in (accepted, opened):
        html = response.content.decode()
        assert "This order was taken" in html
        for detail in ("Translate a contract", "Secret contract text.", "customer@example.com"):
            assert detail not in html
        assert world.customer.name not in html
    assert accepted.status_code == 409
    order.refresh_from_db()
    assert order.expert == world.expert


def test_declining_an_invitation_with_a_reason(world, client):
    order = _speedy(world, instructions="Please keep it short.")
    invitation = order.invitations.get(expert=world.expert)

    response = _login(client, world.expert).post(
        reverse("invitation-decline", args=[invitation.pk]), {"reason": "Too busy this week."}
    )

    assert response.status_code == 302 and response.url == reverse("expert-dashboard")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED
    event = order.events.get(verb="invitation.declined")
    assert event.details["reason"] == "Too busy this week."
    # the declined invitation no longer shows the order
    html = client.get(reverse("invitation-detail", args=[invitation.pk])).content.decode()
    assert "You declined this invitation" in html and "Please keep it short." not in html


def test_a_stranger_cannot_see_or_answer_someone_elses_invitation(world, client):
    order = _speedy(world)
    invitation = order.invitations.get(expert=world.expert)
    _login(client, world.stranger)

    assert client.get(reverse("invitation-detail", args=[invitation.pk])).status_code == 404
    assert client.post(reverse("invitation-accept", args=[invitation.pk])).status_code == 404
    assert client.post(reverse("invitation-decline", args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


# --- submissions --------------------------------------------------------------------------------


def test_submitting_two_titled_files_with_notes(world, client):
    order = world.assigned()

    response = _login(client, world.expert).post(
        reverse("submission-create", args=[order.pk]),
        {
            "files": [_upload("resume.docx"), _upload("letter.docx")],
            "titles": ["Resume", "Cover letter"],
            "notes": "Both attached.",
        },
    )

    assert response.status_code == 302 and response.url == _work_url(order)
    submission = order.submissions.get()
    assert submission.notes == "Both attached."
    assert [(f.title, f.name) for f in submission.files.all()] == [
        ("Resume", "resume.docx"),
        ("Cover letter", "letter.docx"),
    ]
    order.refresh_from_db()
    assert order.status == S.DELIVERED


def test_the_plain_form_ignores_rows_left_empty(world, client):
    # given the no-JavaScript form: three rows, only the first used
    order = world.assigned()

    response = _login(client, world.expert).post(
        reverse("submission-create", args=[order.pk]),
        {"files": [_upload("resume.docx")], "titles": ["Resume", "", ""], "notes": ""},
    )

    assert response.status_code == 302
    assert [f.title for f in order.submissions.get().files.all()] == ["Resume"]


def _files_errors(html: str) -> str:
    return re.search(r'data-errors="files">(.*?)</div>', html, re.S).group(1)


@pytest.mark.parametrize(
    ("files", "titles", "message"),
    [
        (
            [("resume.docx", "Resume text\n"), ("letter.docx", "Letter text\n")],
            ["Resume", ""],
            "Give “letter.docx” a title.",
        ),
        ([("resume.docx", "Resume text\n"), ("empty.docx", "")], ["Resume", "Empty"], "is empty"),
        ([], [""], "A submission needs at least one file."),
    ],
)
def test_a_bad_submission_shows_the_error_beside_the_files_and_stores_nothing(
    world, client, files, titles, message
):
    order = world.assigned()
    stored = OrderFile.objects.count()

    response = _login(client, world.expert).post(
        reverse("submission-create", args=[order.pk]),
        {"files": [_upload(n, t) for n, t in files], "titles": titles, "notes": "Kept notes"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert message in _files_errors(html)
    assert "Kept notes" in html
    assert not Submission.objects.exists() and OrderFile.objects.count() == stored


def test_a_file_over_the_limit_is_refused(world, client, settings):
    settings.ATELIER_MAX_UPLOAD_BYTES = 10
    order = world.assigned()

    response = _login(client, world.expert).post(
        reverse("submission-create", args=[order.pk]),
        {"files": [_upload("big.docx", "x" * 11)], "titles": ["Big"]},
    )

    # refused while the body streams in (413), with the reason where upload.js shows errors
    assert response.status_code == 413
    assert "“big.docx” is larger than the limit" in _files_errors(response.content.decode())
    assert not Submission.objects.exists()


def test_submitting_in_the_wrong_state_says_why(world, client):
    order = world.delivered()

    response = _login(client, world.expert).post(
        reverse("submission-create", args=[order.pk]),
        {"files": [_upload("v2.docx")], "titles": ["Resume"]},
    )

    assert response.status_code == 400
    assert "You cannot submit work while the order is delivered." in response.content.decode()
    assert order.submissions.count() == 1


def test_the_upload_script_gets_the_address_or_the_form_fragment(world, client):
    # given upload.js, which sends HX-Request and follows HX-Redirect
    order = world.assigned()
    url = reverse("submission-create", args=[order.pk])
    _login(client, world.expert)

    refused = client.post(url, {"titles": ["Resume"]}, headers={"HX-Request": "true"})
    sent = client.post(
        url,
        {"files": [_upload("resume.docx")], "titles": ["Resume"]},
        headers={"HX-Request": "true"},
    )

    assert refused.status_code == 400
    assert "<html" not in refused.content.decode()
    assert "data-upload" in refused.content.decode()
    assert sent.status_code == 204 and sent.headers["HX-Redirect"] == _work_url(order)


# --- the work tab (the partial the order page includes) ----------------------------------------


def _work_tab(world, order: Order) -> str:
    """The work tab as htmx fetches it: the order page's tab panel, built by the view."""
    client = _login(Client(), world.expert)
    url = f"{reverse('order-detail', args=[order.pk])}?tab=work"
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def test_work_tab_shows_history_revision_requests_and_qc_comments(world):
    # given a marketplace order: draft sent back by QC, then approved, then a revision request
    order = world.assigned(Flow.MARKETPLACE)
    first = world.submit(order, 1)
    actions.review_submission(
        first, actor=world.reviewer, decision=QCReview.Decision.REVISE, comments="Fix the dates."
    )
    world.approve(world.submit(order, 2))
    world.revise(order, "Please add my promotion.")

    html = _work_tab(world, order)

    assert html.index("Revision #2") < html.index("Draft #1")  # newest first
    for file in OrderFile.objects.filter(submission__order=order):
        assert reverse("file-download", args=[file.pk]) in html
    assert "Please add my promotion." in html
    assert "Fix the dates." in html
    assert reverse("submission-create", args=[order.pk]) in html
    assert reverse("order-flag", args=[order.pk]) in html
    assert reverse("order-fee-request", args=[order.pk]) in html


def test_work_tab_shows_when_an_order_becomes_closable_and_why(world):
    order = world.delivered(Flow.EXPERT_HUB)
    world.open_latest(order)

    html = _work_tab(world, order)

    order.refresh_from_db()
    assert "Closable from" in html
    assert "7 calendar days after the first delivery" in html
    assert reverse("order-close", args=[order.pk]) not in html  # not yet


# --- the close flow (rules 7 and 8) -----------------------------------------------------------


@pytest.fixture
def closable(world):
    """An expert-hub order delivered 8 days ago and opened by the customer."""
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)
    world.open_latest(order)
    return order


def test_work_tab_offers_close_once_eligible(world, closable):
    assert reverse("order-close", args=[closable.pk]) in _work_tab(world, closable)


def test_close_confirmation_lists_the_final_documents_and_the_farewell(world, client, closable):
    response = _login(client, world.expert).get(reverse("order-close", args=[closable.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    final = closable.submissions.get().files.get()
    assert reverse("file-download", args=[final.pk]) in html and "resume-v1.txt" in html
    assert "Your documents: http://testserver/link/" in html
    assert "Closable from" in html


def test_a_farewell_without_the_link_line_is_refused_and_kept(world, client, closable):
    info = actions.close_info(closable, actor=world.expert)
    edited = "\n".join(
        line for line in info.farewell_template.splitlines() if "Your documents" not in line
    ).replace("All the best", "Warmly")

    response = _login(client, world.expert).post(
        reverse("order-close", args=[closable.pk]), {"message": edited}
    )

    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(r'id="farewell-errors">(.*?)</div>', html, re.S).group(1)
    assert "Keep the line" in errors
    assert "Warmly" in html  # the edited text is still in the editor
    closable.refresh_from_db()
    assert closable.status == S.DELIVERED
    assert not AccessLink.objects.exists()


def test_a_farewell_that_keeps_the_link_line_closes_the_order(world, client, closable):
    info = actions.close_info(closable, actor=world.expert)
    message = info.farewell_template.replace("All the best", "Warmly")

    response = _login(client, world.expert).post(
        reverse("order-close", args=[closable.pk]), {"message": message}
    )

    assert response.status_code == 302 and response.url == _work_url(closable)
    closable.refresh_from_db()
    assert closable.status == S.COMPLETED
    assert AccessLink.objects.filter(order=closable).exists()


def test_request_close_when_the_customer_has_not_opened_the_delivery(world, client):
    # given an eligible order whose delivery the customer never opened
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)
    _login(client, world.expert)

    page = client.get(reverse("order-close", args=[order.pk])).content.decode()
    response = client.post(reverse("order-request-close", args=[order.pk]), {"note": "Please."})

    assert "The customer has not opened the latest delivery yet." in page
    assert reverse("order-request-close", args=[order.pk]) in page
    assert 'name="message"' not in page  # no farewell editor
    assert response.status_code == 302
    flag = order.flags.get(kind=Flag.Kind.CLOSE_REQUEST)
    assert flag.is_open and flag.note == "Please."
    # asking twice says so
    again = client.post(reverse("order-request-close", args=[order.pk]))
    assert again.status_code == 400
    assert "already asked" in again.content.decode()


# --- flags and fees ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Flag.Kind.EXCESSIVE_REVISIONS, Flag.Kind.COMPLETION_REQUEST])
def test_the_expert_flags_the_order_for_an_agent(world, client, kind):
    order = world.delivered()

    response = _login(client, world.expert).post(
        reverse("order-flag", args=[order.pk]), {"kind": kind, "note": "Fifth round."}
    )

    assert response.status_code == 302 and response.url == _work_url(order)
    flag = order.flags.get(kind=kind)
    assert flag.raised_by == world.expert and flag.note == "Fifth round."


def test_a_flag_needs_a_kind(world, client):
    order = world.delivered()

    response = _login(client, world.expert).post(reverse("order-flag", args=[order.pk]), {})

    assert response.status_code == 400
    assert "Choose what to tell the agents." in response.content.decode()
    assert not order.flags.exists()


def test_the_expert_requests_a_fee(world, client):
    order = world.delivered()

    response = _login(client, world.expert).post(
        reverse("order-fee-request", args=[order.pk]),
        {"amount": "40.00", "reason": "A second language version."},
    )

    assert response.status_code == 302
    fee = order.fee_requests.get()
    assert (fee.amount, fee.currency, fee.status) == (40, "USD", FeeRequest.Status.REQUESTED)


def test_a_bad_fee_amount_is_shown_beside_the_field(world, client):
    order = world.delivered()

    response = _login(client, world.expert).post(
        reverse("order-fee-request", args=[order.pk]), {"amount": "lots", "reason": "More."}
    )

    assert response.status_code == 400
    errors = re.search(r'id="work-fee-amount-errors">(.*?)</div>', response.content.decode(), re.S)
    assert "Enter an amount like 120.00." in errors.group(1)
    assert not order.fee_requests.exists()


# --- who may use the expert's URLs ------------------------------------------------------------


def _expert_posts(order: Order) -> list[tuple[str, dict]]:
    return [
        (
            reverse("submission-create", args=[order.pk]),
            {"files": [_upload("x.docx")], "titles": ["X"]},
        ),
        (reverse("order-close", args=[order.pk]), {"message": "Bye"}),
        (reverse("order-request-close", args=[order.pk]), {}),
        (reverse("order-flag", args=[order.pk]), {"kind": Flag.Kind.EXCESSIVE_REVISIONS}),
        (reverse("order-fee-request", args=[order.pk]), {"amount": "10", "reason": "More"}),
    ]


@pytest.mark.parametrize(("who", "status"), [("customer", 403), ("stranger", 404)])
def test_only_the_expert_uses_the_expert_urls(world, client, who, status):
    # given an expert-hub order, eligible to close
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)
    world.open_latest(order)
    before = (order.submissions.count(), order.flags.count(), order.fee_requests.count())
    _login(client, getattr(world, who))

    for url, data in _expert_posts(order):
        response = client.post(url, data)
        # then the customer is told why (403), the stranger learns nothing (404)
        assert response.status_code == status, url
        if status == 403:
            assert "Only the order&#x27;s expert" in response.content.decode()
        assert client.get(url).status_code in (status, 405)

    order.refresh_from_db()
    assert order.status == S.DELIVERED
    after = (order.submissions.count(), order.flags.count(), order.fee_requests.count())
    assert after == before
