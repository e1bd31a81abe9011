"""The quality loop over the API: revision requests and QC send-backs point by point, each point
answered by the expert's next round; QC's scorecard, which decides unless the reviewer says why
not; claims, so that two reviewers never review one submission; the expert's appeal of a
send-back, which an agent decides; and each service's QC checklist. None of QC's part is ever
the customer's to read."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from atelier.catalog.services import change_policy
from atelier.orders import actions
from atelier.orders.models import Appeal, Order, QCReview, RevisionItem, Submission
from atelier.orders.tests.factories import UserFactory

from .apiclient import error_of, snapshot

Flow = Order.Flow
CHECKLIST = ["Spelling and grammar", "Dates and facts match the brief"]
SPELLING, DATES = CHECKLIST


def items_of(body: dict) -> list[tuple[str, bool, str]]:
    return [(i["text"], i["addressed"], i["note"]) for i in body["items"]]


def submit(api, world, order: Order, **data):
    """The expert's next round over the API, with `data` (addressed, addressed_notes...)."""
    return api.as_(world.expert).post(
        f"/orders/{order.pk}/submissions",
        files={"files": [("resume.txt", b"Resume, again\n")]},
        data={"titles": ["Resume"], **data},
    )


def review(api, reviewer, submission: Submission, **body):
    return api.as_(reviewer).post(f"/submissions/{submission.pk}/review", body)


def card(*failed: str) -> list[dict]:
    """The checklist marked: every point passes but those `failed`, each with evidence."""
    return [
        {"point": p, "pass": p not in failed, "comment": "QC-ONLY-EVIDENCE" if p in failed else ""}
        for p in CHECKLIST
    ]


@pytest.fixture
def checklist(world):
    """The service checks CHECKLIST: orders placed from now on carry it."""
    change_policy(world.service, actor=world.agent, qc_checklist=CHECKLIST)


@pytest.fixture
def in_qc(world, checklist) -> Submission:
    """A marketplace order whose first draft waits in QC, under the checklist."""
    return world.submit(world.assigned(Flow.MARKETPLACE))


@pytest.fixture
def reviewer2():
    return UserFactory(email="reviewer2@example.com", is_reviewer=True)


# --- revision requests, point by point --------------------------------------------------------


def test_a_revision_request_takes_its_points_as_a_json_list(api, world):
    # given a delivered order
    order = world.delivered()

    # when the customer asks for two changes as a JSON list
    status, body = api.as_(world.customer).post(
        f"/orders/{order.pk}/revision-requests",
        {"items": ["Add my promotion.", " Shorter summary. ", ""]},
    )

    # then each is a point, in order, waiting for the expert's next round
    assert status == 201, body
    assert [
        {k: i[k] for k in ("text", "addressed", "note", "answered_in")} for i in body["items"]
    ] == [
        {"text": "Add my promotion.", "addressed": False, "note": "", "answered_in": None},
        {"text": "Shorter summary.", "addressed": False, "note": "", "answered_in": None},
    ]
    assert all(isinstance(i["id"], int) for i in body["items"])
    assert body["comments"] == "- Add my promotion.\n- Shorter summary."
    order.refresh_from_db()
    assert order.status == Order.Status.REVISION_REQUESTED


def test_a_revision_request_takes_its_points_as_repeated_form_fields_with_files(api, world):
    order = world.delivered()

    status, body = api.as_(world.customer).post(
        f"/orders/{order.pk}/revision-requests",
        data={"items": ["Add my promotion.", "Use my new address."]},
        files={"files": [("promotion.txt", b"Promoted in May.\n")]},
    )

    assert status == 201, body
    assert items_of(body) == [("Add my promotion.", False, ""), ("Use my new address.", False, "")]
    assert [f["name"] for f in body["files"]] == ["promotion.txt"]


@pytest.mark.parametrize(
    "send",
    [
        {"data": {"comments": "- Add my promotion.\n- Use my new address."}},
        {"json": {"comments": "Add my promotion.\n\nUse my new address."}},
    ],
)
def test_comments_alone_are_split_into_points(api, world, send):
    order = world.delivered()

    response = api.as_(world.customer).call("POST", f"/orders/{order.pk}/revision-requests", **send)

    assert response.status_code == 201, response.content
    assert items_of(response.json()) == [
        ("Add my promotion.", False, ""),
        ("Use my new address.", False, ""),
    ]


@pytest.mark.parametrize(
    ("send", "field"),
    [
        ({"json": {}}, "comments"),
        ({"json": {"items": "Add my promotion."}}, "items"),
        ({"json": {"items": [1, 2]}}, "items"),
        ({"json": {"items": ["x" * 2001]}}, "items"),
        ({"json": {"items": [f"Point {n}" for n in range(31)]}}, "items"),
        ({"data": {"items": ["   "]}}, "items"),
    ],
)
def test_a_revision_request_without_usable_points_is_refused(api, world, send, field):
    # given a delivered order
    order = world.delivered()
    before = snapshot()

    # when the customer asks for nothing, or sends points that are not a list of short texts
    response = api.as_(world.customer).call("POST", f"/orders/{order.pk}/revision-requests", **send)

    # then they are told which field, and nothing changed
    assert response.status_code == 400, response.content
    assert error_of(response.json())["field"] == field
    assert snapshot() == before


# --- the expert's next round answers each point -----------------------------------------------


def test_a_round_answers_each_point_with_notes_visible_on_the_request(api, world):
    # given a delivered order and a request for three changes
    order = world.delivered()
    request = actions.request_revision(
        order, actor=world.customer, items=["Add my promotion.", "Two pages.", "New address."]
    )
    promotion, pages, address = request.items.all()

    # when the expert's next round addresses the first and the last, noting the first
    status, submission = submit(
        api,
        world,
        order,
        addressed=[promotion.pk, address.pk],
        addressed_notes=["Added under Experience.", ""],
    )

    # then the round shows what it answered, and so does the customer's request
    assert status == 201, submission
    answered = {
        "Add my promotion.": (True, "Added under Experience."),
        "Two pages.": (False, ""),
        "New address.": (True, ""),
    }
    assert {i["text"]: (i["addressed"], i["note"]) for i in submission["answers"]} == answered
    status, [seen] = api.as_(world.customer).get(f"/orders/{order.pk}/revision-requests")
    assert status == 200
    assert items_of(seen) == [(text, *answer) for text, answer in answered.items()]
    assert {i["answered_in"] for i in seen["items"]} == {submission["id"]}
    _, [delivered, _first] = api.as_(world.customer).get(f"/orders/{order.pk}/submissions")
    assert [i["id"] for i in delivered["answers"]] == [promotion.pk, pages.pk, address.pk]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"addressed": ["{first}", "{second}"], "addressed_notes": ["Done."]}, "addressed_notes"),
        ({"addressed_notes": ["Done."]}, "addressed_notes"),
        ({"addressed": ["{first}", "{first}"], "addressed_notes": ["a", "b"]}, "addressed"),
        ({"addressed": ["999999"]}, "addressed"),
        ({"addressed": ["the first"]}, "addressed"),
        ({"addressed": ["{first}"], "addressed_notes": ["x" * 2001]}, "addressed_notes"),
    ],
)
def test_a_round_whose_answers_do_not_match_the_points_is_refused(api, world, data, field):
    # given a request for two changes
    order = world.delivered()
    request = actions.request_revision(order, actor=world.customer, items=["One.", "Two."])
    ids = {"first": request.items.all()[0].pk, "second": request.items.all()[1].pk}
    data = {k: [v.format(**ids) for v in values] for k, values in data.items()}
    before = snapshot()

    # when the expert's answers do not line up with the points
    status, body = submit(api, world, order, **data)

    # then the field is named, and no round is made
    assert status == 400, body
    assert error_of(body)["field"] == field
    assert snapshot() == before


# --- QC's scorecard -------------------------------------------------------------------------


def test_a_scorecard_that_passes_approves_without_a_decision(api, world, in_qc):
    # when the reviewer marks every point passed, deciding nothing
    status, body = review(api, world.reviewer, in_qc, scorecard=card())

    # then the work is approved and delivered, the card kept on the review
    assert status == 201, body
    assert body["delivered_at"] is not None
    [shown] = body["reviews"]
    assert shown["decision"] == "approve" and shown["override_reason"] == ""
    assert shown["scorecard"] == [
        {"point": SPELLING, "pass": True, "comment": ""},
        {"point": DATES, "pass": True, "comment": ""},
    ]
    assert (shown["items"], shown["appeal"]) == ([], None)


def test_a_failed_point_sends_the_work_back_with_its_points(api, world, in_qc):
    # when the reviewer fails a point and adds one of their own
    status, body = review(
        api, world.reviewer, in_qc, scorecard=card(DATES), items=["Bold the job titles."]
    )

    # then the work goes back to the expert with both points to answer
    assert status == 201, body
    [shown] = body["reviews"]
    assert shown["decision"] == "revise"
    assert items_of(shown) == [
        (f"{DATES}: QC-ONLY-EVIDENCE", False, ""),
        ("Bold the job titles.", False, ""),
    ]
    order = in_qc.order
    order.refresh_from_db()
    assert order.status == Order.Status.IN_PROGRESS
    # and the expert's next round answers them, as the review shows
    [failed, bold] = (i["id"] for i in shown["items"])
    status, second = submit(api, world, order, addressed=[failed], addressed_notes=["Fixed."])
    assert status == 201, second
    assert [(i["id"], i["addressed"], i["note"]) for i in second["answers"]] == [
        (failed, True, "Fixed."),
        (bold, False, ""),
    ]
    _, first = api.as_(world.expert).get(f"/submissions/{in_qc.pk}")
    assert {i["id"]: i["answered_in"] for i in first["reviews"][0]["items"]} == {
        failed: second["id"],
        bold: second["id"],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scorecard": card(DATES), "decision": "approve"}, "override_reason"),
        ({"scorecard": card(), "decision": "revise", "comments": "Hm."}, "override_reason"),
        ({"scorecard": card()[:1]}, "scorecard"),
        ({"scorecard": [*card(), {"point": "Tone", "pass": True}]}, "scorecard"),
        ({"scorecard": [{"point": SPELLING, "pass": False}, card()[1]]}, "scorecard"),
        ({"scorecard": [{"point": SPELLING, "passed": True}, card()[1]]}, "scorecard.passed"),
        ({"comments": "Looks fine."}, "decision"),
    ],
)
def test_a_review_against_its_card_without_a_reason_or_with_a_bad_card_is_refused(
    api, world, in_qc, body, field
):
    # given a draft in QC
    before = snapshot()

    # when the reviewer decides against the card without saying why, or marks it wrongly
    status, answer = review(api, world.reviewer, in_qc, **body)

    # then the field is named and nothing changed
    assert status == 400, answer
    assert error_of(answer)["field"] == field
    assert snapshot() == before


def test_a_decision_against_the_card_with_a_reason_is_accepted(api, world, in_qc):
    status, body = review(
        api,
        world.reviewer,
        in_qc,
        scorecard=card(DATES),
        decision="approve",
        override_reason="The brief's date was a typo; the customer confirmed.",
    )

    assert status == 201, body
    [shown] = body["reviews"]
    assert shown["decision"] == "approve" and body["delivered_at"] is not None
    assert shown["override_reason"] == "The brief's date was a typo; the customer confirmed."
    assert shown["scorecard"][1] == {"point": DATES, "pass": False, "comment": "QC-ONLY-EVIDENCE"}


def test_the_customer_never_reads_the_scorecard_or_qcs_points(api, world, in_qc):
    # given QC sent the draft back on its card, the expert appealed in vain and answered in a
    # second round, which QC approved
    review(api, world.reviewer, in_qc, scorecard=card(DATES), items=["QC-ONLY-POINT"])
    order = in_qc.order
    appeal = actions.appeal_review(in_qc, actor=world.expert, reason="QC-ONLY-APPEAL")
    actions.decide_appeal(appeal, actor=world.agent, decision="uphold", reason="QC-ONLY-UPHELD")
    qc_points = [i.pk for i in RevisionItem.objects.filter(review__isnull=False)]
    order.refresh_from_db()
    _, second = submit(api, world, order, addressed=qc_points, addressed_notes=["QC-ONLY-NOTE"] * 2)
    world.approve(Submission.objects.get(pk=second["id"]))

    # when the customer reads everything they may
    client = api.as_(world.customer)
    paths = ["/orders", f"/orders/{order.pk}", f"/orders/{order.pk}/submissions"]
    paths += [f"/submissions/{second['id']}", f"/orders/{order.pk}/events", "/events"]
    paths += [f"/orders/{order.pk}/revision-requests"]
    answers = {path: client.call("GET", path) for path in paths}

    # then nothing of QC's is in it: no review, no scorecard, no QC point or note, no appeal
    for path, response in answers.items():
        assert response.status_code == 200, path
        assert "QC-ONLY" not in response.text, path
        assert "scorecard" not in response.text, path
    delivered = answers[f"/submissions/{second['id']}"].json()
    assert (delivered["reviews"], delivered["answers"], delivered["claim"]) == ([], [], None)
    assert client.get(f"/appeals/{appeal.pk}")[0] == 404
    assert client.get("/appeals")[0] == 403
    # while the expert reads it all
    _, mine = api.as_(world.expert).get(f"/submissions/{second['id']}")
    assert [i["note"] for i in mine["answers"]] == ["QC-ONLY-NOTE"] * 2


# --- appeals --------------------------------------------------------------------------------


@pytest.fixture
def sent_back(api, world, in_qc) -> Submission:
    status, _ = review(api, world.reviewer, in_qc, scorecard=card(DATES))
    assert status == 201
    return in_qc


def test_the_expert_appeals_a_send_back_once(api, world, sent_back):
    # when the expert appeals QC's send-back
    status, appeal = api.as_(world.expert).post(
        f"/submissions/{sent_back.pk}/appeal", {"reason": "The dates match the certificate."}
    )

    # then it waits for an agent, and the review shows it
    assert status == 201, appeal
    review_id = sent_back.reviews.get().pk
    assert {k: appeal[k] for k in ("order", "submission", "review", "status", "reason")} == {
        "order": sent_back.order_id,
        "submission": sent_back.pk,
        "review": review_id,
        "status": "pending",
        "reason": "The dates match the certificate.",
    }
    assert (appeal["expert"], appeal["decided_by"], appeal["decided_at"]) == (
        world.expert.email,
        None,
        None,
    )
    assert appeal["decision_reason"] == "" and appeal["created_at"]
    for person in (world.expert, world.reviewer, world.agent):
        _, seen = api.as_(person).get(f"/submissions/{sent_back.pk}")
        assert seen["reviews"][0]["appeal"] == appeal, person
        assert api.as_(person).get(f"/appeals/{appeal['id']}") == (200, appeal), person
    # and a second appeal is a conflict that changes nothing
    before = snapshot()
    status, body = api.as_(world.expert).post(
        f"/submissions/{sent_back.pk}/appeal", {"reason": "Again."}
    )
    assert status == 409 and error_of(body)["code"] == "already_appealed"
    assert snapshot() == before


@pytest.fixture
def appealed(api, world, sent_back) -> dict:
    status, appeal = api.as_(world.expert).post(
        f"/submissions/{sent_back.pk}/appeal", {"reason": "The dates are right."}
    )
    assert status == 201
    return appeal


def test_an_agent_overturning_an_appeal_delivers_the_work(api, world, sent_back, appealed):
    # when an agent overturns the appeal
    status, appeal = api.as_(world.agent).post(
        f"/appeals/{appealed['id']}/decide",
        {"decision": "overturn", "reason": "The certificate says so."},
    )

    # then the send-back is void: the submission is delivered to the customer
    assert status == 200, appeal
    assert (appeal["status"], appeal["decision_reason"]) == (
        "overturned",
        "The certificate says so.",
    )
    assert appeal["decided_by"] == world.agent.email and appeal["decided_at"]
    order = sent_back.order
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    _, seen = api.as_(world.customer).get(f"/orders/{order.pk}/submissions")
    assert [s["id"] for s in seen] == [sent_back.pk]
    # and deciding again is a conflict
    status, body = api.as_(world.agent).post(
        f"/appeals/{appealed['id']}/decide", {"decision": "uphold", "reason": "Changed my mind."}
    )
    assert status == 409 and error_of(body)["code"] == "appeal_decided"


def test_an_agent_upholding_an_appeal_leaves_the_work_with_the_expert(api, world, appealed):
    status, appeal = api.as_(world.agent).post(
        f"/appeals/{appealed['id']}/decide", {"decision": "uphold", "reason": "QC is right."}
    )

    assert status == 200, appeal
    assert appeal["status"] == "upheld"
    order = Order.objects.get(pk=appealed["order"])
    assert order.status == Order.Status.IN_PROGRESS
    assert not order.submissions.filter(delivered_at__isnull=False).exists()


def test_a_decision_that_is_neither_uphold_nor_overturn_is_refused(api, world, appealed):
    before = snapshot()

    status, body = api.as_(world.agent).post(
        f"/appeals/{appealed['id']}/decide", {"decision": "approve", "reason": "Fine."}
    )

    assert status == 400 and error_of(body)["field"] == "decision"
    assert snapshot() == before


def test_agents_list_pending_appeals_and_experts_their_own(api, world, appealed):
    # given a second order whose appeal an agent already upheld
    other = world.submit(world.assigned(Flow.MARKETPLACE))
    actions.review_submission(other, actor=world.reviewer, decision="revise", comments="Typos.")
    upheld = actions.appeal_review(other, actor=world.expert, reason="There are none.")
    actions.decide_appeal(upheld, actor=world.agent, decision="uphold", reason="There are.")

    # when agents list what waits for them, and everyone lists what they may
    pending = api.as_(world.agent).get("/appeals", status="pending")
    everything = api.as_(world.agent).get("/appeals")
    mine = api.as_(world.expert).get("/appeals")
    theirs = api.as_(world.expert2).get("/appeals")
    reviewed = api.as_(world.reviewer).get("/appeals", status="upheld")

    # then each gets the appeals that are theirs to know, newest first
    assert pending == (200, {"items": [appealed], "next_cursor": None})
    assert [a["id"] for a in everything[1]["items"]] == [upheld.pk, appealed["id"]]
    assert [a["id"] for a in mine[1]["items"]] == [upheld.pk, appealed["id"]]
    assert theirs == (200, {"items": [], "next_cursor": None})
    assert [a["id"] for a in reviewed[1]["items"]] == [upheld.pk]
    status, body = api.as_(world.agent).get("/appeals", status="lost")
    assert status == 400 and error_of(body)["field"] == "status"


def test_a_new_round_withdraws_a_pending_appeal(api, world, sent_back, appealed):
    status, _ = submit(api, world, sent_back.order)

    assert status == 201
    assert Appeal.objects.get().status == Appeal.Status.WITHDRAWN
    _, appeal = api.as_(world.agent).get(f"/appeals/{appealed['id']}")
    assert appeal["status"] == "withdrawn"


# --- claims ---------------------------------------------------------------------------------


def test_a_claimed_submission_is_the_claimants_to_review(api, world, in_qc, reviewer2):
    # when the reviewer claims the draft
    status, claim = api.as_(world.reviewer).post(f"/submissions/{in_qc.pk}/claim")

    # then it is theirs until the claim runs out, as the submission shows
    assert status == 200, claim
    assert (claim["submission"], claim["reviewer"]) == (in_qc.pk, world.reviewer.email)
    assert claim["claimed_until"]
    _, seen = api.as_(reviewer2).get(f"/submissions/{in_qc.pk}")
    assert seen["claim"] == claim
    # and another reviewer can neither claim nor review it
    before = snapshot()
    taken = api.as_(reviewer2).post(f"/submissions/{in_qc.pk}/claim")
    status, body = review(api, reviewer2, in_qc, scorecard=card())
    assert taken[0] == 409 and error_of(taken[1])["code"] == "claimed"
    assert status == 409 and error_of(body)["code"] == "claimed"
    assert snapshot() == before
    # while the claimant reviews it
    assert review(api, world.reviewer, in_qc, scorecard=card())[0] == 201


def test_a_released_submission_is_back_in_the_queue(api, world, in_qc, reviewer2):
    api.as_(world.reviewer).post(f"/submissions/{in_qc.pk}/claim")

    status, claim = api.as_(world.reviewer).post(f"/submissions/{in_qc.pk}/release")

    assert status == 200, claim
    assert claim == {"submission": in_qc.pk, "reviewer": None, "claimed_until": None}
    assert review(api, reviewer2, in_qc, scorecard=card())[0] == 201


def test_releasing_what_you_do_not_hold_is_a_conflict(api, world, in_qc, reviewer2):
    api.as_(world.reviewer).post(f"/submissions/{in_qc.pk}/claim")

    status, body = api.as_(reviewer2).post(f"/submissions/{in_qc.pk}/release")

    assert status == 409 and error_of(body)["code"] == "not_claimed"


def test_an_agent_hands_a_claimed_submission_to_another_reviewer(api, world, in_qc, reviewer2):
    # given the reviewer holds the draft
    api.as_(world.reviewer).post(f"/submissions/{in_qc.pk}/claim")

    # when an agent hands it to the second reviewer
    status, claim = api.as_(world.agent).post(
        f"/submissions/{in_qc.pk}/reviewer", {"reviewer": "Reviewer2@example.com"}
    )

    # then it is theirs, and the first reviewer may no longer review it
    assert status == 200, claim
    assert claim["reviewer"] == reviewer2.email and claim["claimed_until"]
    status, body = review(api, world.reviewer, in_qc, scorecard=card())
    assert status == 409 and error_of(body)["code"] == "claimed"
    # and back to the queue, anyone may
    status, claim = api.as_(world.agent).post(
        f"/submissions/{in_qc.pk}/reviewer", {"reviewer": None}
    )
    assert claim == {"submission": in_qc.pk, "reviewer": None, "claimed_until": None}
    assert review(api, world.reviewer, in_qc, scorecard=card())[0] == 201


@pytest.mark.parametrize("email", ["nobody@example.com", "customer@example.com", "", None])
def test_handing_a_submission_to_someone_who_is_not_a_reviewer_is_refused(api, world, in_qc, email):
    before = snapshot()
    body = {"reviewer": email} if email is not None else {}

    status, answer = api.as_(world.agent).post(f"/submissions/{in_qc.pk}/reviewer", body)

    assert status == 400, answer
    assert error_of(answer)["field"] == "reviewer"
    assert snapshot() == before


# --- the service's QC checklist ---------------------------------------------------------------


def test_an_agent_sets_a_services_qc_checklist(api, world):
    # when an agent gives the service a checklist
    response = api.as_(world.agent).call(
        "PATCH",
        f"/services/{world.service.slug}/policy",
        json={"qc_checklist": ["  Spelling   and grammar ", "", "Dates"]},
    )

    # then it answers with it cleaned, and everyone reads it, on a new policy version
    assert response.status_code == 200, response.content
    assert response.json()["policy"]["qc_checklist"] == ["Spelling and grammar", "Dates"]
    _, services = api.as_(world.customer).get("/services")
    [policy] = [s["policy"] for s in services if s["slug"] == world.service.slug]
    assert policy["qc_checklist"] == ["Spelling and grammar", "Dates"]
    assert policy["version"] != world.service.policy_id
    # and orders placed from now on are reviewed against it
    order = world.assigned(Flow.MARKETPLACE)
    assert order.policy.qc_checklist == ["Spelling and grammar", "Dates"]
    # and [] clears it
    response = api.as_(world.agent).call(
        "PATCH", f"/services/{world.service.slug}/policy", json={"qc_checklist": []}
    )
    assert response.status_code == 200 and response.json()["policy"]["qc_checklist"] == []


@pytest.mark.parametrize(
    "checklist",
    [
        "Spelling",
        [1, 2],
        [f"Point {n}" for n in range(21)],
        ["x" * 201],
        ["Spelling", "spelling"],
    ],
)
def test_a_bad_qc_checklist_is_refused_and_nothing_changes(api, world, checklist):
    before = snapshot()

    response = api.as_(world.agent).call(
        "PATCH", f"/services/{world.service.slug}/policy", json={"qc_checklist": checklist}
    )

    assert response.status_code == 400, response.content
    assert error_of(response.json())["field"] == "qc_checklist"
    assert snapshot() == before


def test_a_review_without_a_card_still_decides_as_before(api, world, in_qc):
    # a reviewer may still decide with comments alone (the checklist is a help, not a gate)
    status, body = review(api, world.reviewer, in_qc, decision="revise", comments="- One\n- Two")

    assert status == 201, body
    [shown] = body["reviews"]
    assert (shown["scorecard"], items_of(shown)) == ([], [("One", False, ""), ("Two", False, "")])
    assert QCReview.objects.get().comments == "- One\n- Two"


# --- lists cost the same however many rounds ------------------------------------------------


def _queries(api, person, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.as_(person).get(path)[0] == 200
    return len(queries)


@pytest.mark.parametrize("person", ["customer", "expert", "reviewer", "agent"])
def test_the_history_and_the_requests_cost_the_same_however_many_rounds(api, world, person):
    # given two orders, one with two rounds and one with five, each answering points and a
    # QC send-back with its appeal
    counts = {}
    api.as_(getattr(world, person)).get("/me")  # the token's first use is stamped once
    for rounds in (2, 5):
        order = world.busy(Flow.MARKETPLACE, submissions=rounds, files=1, comments=0)
        sent = world.submit(order, rounds + 1)
        actions.review_submission(sent, actor=world.reviewer, decision="revise", comments="- A")
        actions.appeal_review(sent, actor=world.expert, reason="It is fine.")
        for path in (f"/orders/{order.pk}/submissions", f"/orders/{order.pk}/revision-requests"):
            counts.setdefault(path.rsplit("/", 1)[1], []).append(
                _queries(api, getattr(world, person), path)
            )

    # then listing them costs as many queries for the longer one
    assert all(short == long for short, long in counts.values()), counts
