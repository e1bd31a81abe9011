"""The three flows of DESIGN.md, driven through the public API alone, over real HTTP.

The people and services are made with factories; every later step is an HTTP call with the
caller's bearer token (from `POST /auth/token` with e-mail and password). Paths are under
/api/v1. The calls, in order:

Writer portal (direct assignment, no QC, the customer completes)
  agent     POST /orders {service, customer, title, assignment: direct, qc_required: false,
                          expert_may_close: false, reward, due_at: null}        201 open
  customer  POST /orders/{id}/attachments  (multipart files)                    201
  agent     POST /orders/{id}/assign {expert}                                   200 in_progress
  expert    GET  /files/{attachment}                                            200 the bytes
  expert    POST /orders/{id}/submissions (multipart files, titles, notes)      201 draft
  customer  GET  /orders/{id}/submissions, GET /files/{file}                    200 same sha256
  customer  POST /orders/{id}/revision-requests (multipart comments, files)     201
  expert    POST /orders/{id}/submissions                                       201 revision
  customer  POST /orders/{id}/complete                                          200 completed
  expert    POST /orders/{id}/comments                                          409 order_closed
  customer  GET  /orders/{id}/events                                            the timeline

Expert hub (direct, the expert closes with a farewell once eligible)
  agent     POST /orders {..., expert_may_close: true}, POST /orders/{id}/assign
  expert    POST /orders/{id}/submissions                                       201 delivered
  expert    GET  /orders/{id}/close        closable false, closable_at, reason, needs_agent
  customer  GET  /orders/{id}/submissions  (listing opens nothing: needs_agent still true)
  customer  POST /submissions/{id}/open    (opening is its own act)
  ... seven days pass ...
  expert    GET  /orders/{id}/close        closable true, farewell_template
  expert    POST /orders/{id}/close {message: the template, link line changed}  400
  expert    POST /orders/{id}/close {message: farewell_template}                200 completed

Marketplace (speedy invitations, QC before the customer, reward to the ledger)
  agent     POST /orders {..., assignment: speedy, qc_required: true}
  agent     POST /orders/{id}/invitations {experts: [expert, expert2]}          201
  expert2   GET  /invitations                                                   theirs, pending
  expert    POST /invitations/{id}/accept                                       200 in_progress
  expert2   POST /invitations/{id}/accept                                       409 taken
  expert2   GET  /orders/{id}                                                   404
  expert    POST /orders/{id}/submissions                                       201 in QC
  customer  GET  /orders/{id}/submissions, GET /files/{file}                    [] and 404
  reviewer  POST /submissions/{id}/review {decision: revise, comments}          201
  expert    POST /orders/{id}/submissions                                       201 in QC again
  reviewer  POST /submissions/{id}/review {decision: approve}                   201 delivered
  customer  POST /orders/{id}/complete                                          200 completed
  expert    GET  /ledger                                     the reward, pending for 30 days
"""

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from atelier.core import clock

pytestmark = pytest.mark.django_db(transaction=True)


def statuses(events: list[dict]) -> list[str]:
    """The order's path through its states, as the timeline tells it."""
    return [e["to_status"] for e in events if e["to_status"]]


def new_order(people, **fields) -> dict:
    reply = people.agent.post(
        "/orders",
        json={
            "service": "resume-writing",
            "customer": people.customer.email,
            "title": "Resume for a product role",
            "instructions": "One page, please.",
            "reward": {"amount": "120.00", "currency": "USD"},
            "due_at": None,
            **fields,
        },
    )
    assert reply.status == 201, reply.body
    return reply.body


def test_writer_portal_over_http(people):
    # An agent creates a direct order for the customer.
    order = new_order(people, assignment="direct", qc_required=False, expert_may_close=False)
    oid = order["id"]
    assert (order["status"], order["expert"], order["customer"]) == (
        "open",
        None,
        people.customer.email,
    )
    assert (order["assignment"], order["qc_required"], order["expert_may_close"]) == (
        "direct",
        False,
        False,
    )

    # The customer adds their old resume.
    old = b"My old resume\n"
    reply = people.customer.post(f"/orders/{oid}/attachments", files=[("old-resume.txt", old)])
    assert reply.status == 201, reply.body
    [attachment] = reply.body
    assert attachment["sha256"] == hashlib.sha256(old).hexdigest()

    # The agent assigns the expert, who can now read the customer's document; a stranger can't.
    assert people.stranger.get(f"/files/{attachment['id']}").status == 404
    reply = people.agent.post(f"/orders/{oid}/assign", json={"expert": people.expert.email})
    assert reply.status == 200, reply.body
    assert (reply.body["status"], reply.body["expert"]) == ("in_progress", people.expert.email)
    download = people.expert.get(f"/files/{attachment['id']}")
    assert (download.status, download.content) == (200, old)

    # The expert delivers two files with titles and notes.
    draft, sample = b"Resume, first draft\n", b"Cover note\n"
    reply = people.expert.post(
        f"/orders/{oid}/submissions",
        files=[("resume.txt", draft), ("note.txt", sample)],
        data={"titles": ["Resume", "A note"], "notes": "First draft."},
    )
    assert reply.status == 201, reply.body
    submitted = reply.body
    assert submitted["kind"] == "draft" and submitted["delivered_at"] is not None
    assert [(f["title"], f["name"], f["size"]) for f in submitted["files"]] == [
        ("Resume", "resume.txt", len(draft)),
        ("A note", "note.txt", len(sample)),
    ]
    assert people.customer.get(f"/orders/{oid}").body["status"] == "delivered"

    # The customer reads the delivery and downloads the very bytes the expert sent.
    reply = people.customer.get(f"/orders/{oid}/submissions")
    assert reply.status == 200
    [seen] = reply.body
    assert seen["id"] == submitted["id"] and seen["notes"] == "First draft."
    resume = seen["files"][0]
    download = people.customer.get(f"/files/{resume['id']}")
    assert download.status == 200
    assert download.content == draft
    assert download.sha256 == resume["sha256"] == hashlib.sha256(draft).hexdigest()

    # The customer asks for a revision, with a file; the expert can read it.
    reply = people.customer.post(
        f"/orders/{oid}/revision-requests",
        data={"comments": "Please add my promotion."},
        files=[("promotion.txt", b"Promoted in May\n")],
    )
    assert reply.status == 201, reply.body
    assert reply.body["comments"] == "Please add my promotion."
    [promotion] = reply.body["files"]
    assert people.customer.get(f"/orders/{oid}").body["status"] == "revision_requested"
    assert people.expert.get(f"/files/{promotion['id']}").content == b"Promoted in May\n"

    # The expert delivers a revision.
    reply = people.expert.post(
        f"/orders/{oid}/submissions",
        files=[("resume.txt", b"Resume, with the promotion\n")],
        data={"titles": ["Resume"], "notes": "Promotion added."},
    )
    assert reply.status == 201, reply.body
    assert reply.body["kind"] == "revision"
    assert people.customer.get(f"/orders/{oid}").body["status"] == "revision_submitted"
    history = people.customer.get(f"/orders/{oid}/submissions").body
    assert [s["kind"] for s in history] == ["revision", "draft"]  # newest first, nothing lost

    # The customer completes; after that the expert cannot add to the order.
    reply = people.customer.post(f"/orders/{oid}/complete")
    assert (reply.status, reply.body["status"]) == (200, "completed")
    assert reply.body["completed_at"] is not None
    reply = people.expert.post(f"/orders/{oid}/comments", data={"body": "Thanks!"})
    assert reply.status == 409
    assert reply.body["error"]["code"] == "order_closed"

    # The timeline tells the whole story, in order.
    reply = people.customer.get(f"/orders/{oid}/events")
    assert reply.status == 200
    assert statuses(reply.body) == [
        "open",
        "in_progress",
        "delivered",
        "revision_requested",
        "revision_submitted",
        "completed",
    ]
    verbs = [e["verb"] for e in reply.body]
    assert verbs.index("attachments.added") < verbs.index("order.assigned")
    assert verbs[-1] == "order.completed"
    assert reply.body[-1]["actor"] == people.customer.email


@pytest.fixture
def time_passes(monkeypatch):
    """Move "now" for the whole process, the live server's request threads included.

    `clock.frozen_at` freezes one thread only and the live server answers each request in a
    thread of its own, so this puts one shared frozen moment where the clock keeps its
    thread-local one; monkeypatch puts the thread-local back after the test."""

    class Everywhere:
        at = None

    monkeypatch.setattr(clock, "_frozen", Everywhere())

    def to(moment: datetime) -> None:
        Everywhere.at = moment

    return to


def wall_clock(moment: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(moment).astimezone(tz).replace(tzinfo=None)


def test_expert_hub_over_http(people, time_passes):
    tz = ZoneInfo(settings.TIME_ZONE)
    order = new_order(
        people,
        service="cover-letter",
        title="Cover letter for a design studio",
        assignment="direct",
        qc_required=False,
        expert_may_close=True,
    )
    oid = order["id"]
    people.agent.post(f"/orders/{oid}/assign", json={"expert": people.expert.email})
    reply = people.expert.post(
        f"/orders/{oid}/submissions",
        files=[("letter.txt", b"Dear studio,\n")],
        data={"titles": ["Cover letter"], "notes": ""},
    )
    assert reply.status == 201, reply.body
    delivered_at = reply.body["delivered_at"]

    # Just delivered: not closable yet, and the expert is told exactly when and why.
    reply = people.expert.get(f"/orders/{oid}/close")
    assert reply.status == 200, reply.body
    info = reply.body
    assert info["closable"] is False
    # Rule 7: seven calendar days later, at the same wall-clock time in the platform's zone.
    assert wall_clock(info["closable_at"], tz) == wall_clock(delivered_at, tz) + timedelta(days=7)
    assert info["reason"].startswith("Closable from ")
    assert "7 calendar days after the first delivery" in info["reason"]
    # Rule 8: the customer has not opened the delivery, so only an agent could close now.
    assert info["needs_agent"] is True
    assert info["blockers"] == ["The customer has not opened the latest delivery yet."]
    as_order = people.customer.get(f"/orders/{oid}").body["closable_at"]
    assert datetime.fromisoformat(as_order) == datetime.fromisoformat(info["closable_at"])
    reply = people.expert.post(f"/orders/{oid}/close", json={"message": info["farewell_template"]})
    assert (reply.status, reply.body["error"]["code"]) == (409, "needs_agent")

    # The customer opens the delivery: what remains is the calendar.
    [delivery] = people.customer.get(f"/orders/{oid}/submissions").body
    assert delivery["customer_opened_at"] is None
    assert people.expert.get(f"/orders/{oid}/close").body["needs_agent"] is True
    assert people.customer.post(f"/submissions/{delivery['id']}/open").body["customer_opened_at"]
    info = people.expert.get(f"/orders/{oid}/close").body
    assert (info["closable"], info["needs_agent"], info["blockers"]) == (False, False, [])
    reply = people.expert.post(f"/orders/{oid}/close", json={"message": info["farewell_template"]})
    assert (reply.status, reply.body["error"]["code"]) == (409, "not_yet_closable")

    # A second before the moment it is still not closable; at the moment it is. (The API
    # writes times to the millisecond, so the rule's own moment may be up to 1 ms later.)
    closable_at = datetime.fromisoformat(info["closable_at"])
    time_passes(closable_at - timedelta(seconds=1))
    assert people.expert.get(f"/orders/{oid}/close").body["closable"] is False
    time_passes(closable_at + timedelta(milliseconds=1))
    info = people.expert.get(f"/orders/{oid}/close").body
    assert info["closable"] is True
    assert [d["name"] for d in info["final_documents"]] == ["letter.txt"]
    farewell = info["farewell_template"]
    [link_line] = [line for line in farewell.splitlines() if "http" in line]

    # The line with the customer's one-time link must stay as it is.
    altered = farewell.replace(link_line, link_line + "?utm=1")
    reply = people.expert.post(f"/orders/{oid}/close", json={"message": altered})
    assert reply.status == 400
    assert (reply.body["error"]["code"], reply.body["error"]["field"]) == (
        "farewell_link_changed",
        "message",
    )
    assert people.expert.get(f"/orders/{oid}").body["status"] == "delivered"

    # Edited around the link line, the prefilled farewell closes the order in one step.
    message = farewell.replace("All the best,", "Good luck with the studio!")
    reply = people.expert.post(f"/orders/{oid}/close", json={"message": message})
    assert (reply.status, reply.body["status"]) == (200, "completed")
    events = people.customer.get(f"/orders/{oid}/events").body
    assert statuses(events) == ["open", "in_progress", "delivered", "completed"]
    assert events[-1]["verb"] == "order.closed" and events[-1]["actor"] == people.expert.email


def test_marketplace_over_http(people):
    order = new_order(
        people,
        service="translation",
        title="Translate my cover letter",
        assignment="speedy",
        qc_required=True,
        expert_may_close=False,
        reward={"amount": "80.00", "currency": "USD"},
    )
    oid = order["id"]

    # The agent invites two pros; each sees the invitation with the reward beside it.
    reply = people.agent.post(
        f"/orders/{oid}/invitations",
        json={"experts": [people.expert.email, people.expert2.email]},
    )
    assert reply.status == 201, reply.body
    assert people.agent.get(f"/orders/{oid}").body["status"] == "invited"
    invitations = {}
    for pro in (people.expert, people.expert2):
        reply = pro.get("/invitations", params={"status": "pending"})
        assert reply.status == 200
        [invitation] = reply.body["items"]
        assert (invitation["order"], invitation["status"]) == (oid, "pending")
        assert invitation["reward"] == {"amount": "80.00", "currency": "USD"}
        invitations[pro.email] = invitation["id"]
    assert people.expert2.get(f"/orders/{oid}").status == 200  # an invited pro may look

    # First accept wins; the second hears "taken" and loses sight of the order.
    reply = people.expert.post(f"/invitations/{invitations[people.expert.email]}/accept")
    assert reply.status == 200, reply.body
    assert (reply.body["status"], reply.body["expert"]) == ("in_progress", people.expert.email)
    reply = people.expert2.post(f"/invitations/{invitations[people.expert2.email]}/accept")
    assert reply.status == 409
    assert reply.body["error"]["code"] == "taken"
    assert people.expert2.get(f"/orders/{oid}").status == 404
    assert people.expert2.get("/invitations").body["items"][0]["status"] == "taken"

    # The expert submits: it waits in QC, invisible to the customer.
    reply = people.expert.post(
        f"/orders/{oid}/submissions",
        files=[("lettre.txt", b"Lettre de motivation\n")],
        data={"titles": ["Cover letter (French)"], "notes": "Draft."},
    )
    assert reply.status == 201, reply.body
    first = reply.body
    assert first["delivered_at"] is None
    assert people.agent.get(f"/orders/{oid}").body["status"] == "in_qc"
    assert people.customer.get(f"/orders/{oid}/submissions").body == []
    assert people.customer.get(f"/files/{first['files'][0]['id']}").status == 404
    assert people.customer.get(f"/submissions/{first['id']}").status == 404

    # QC sends it back with comments for the expert.
    qc_comments = "QC: the second paragraph drops a sentence."
    reply = people.reviewer.post(
        f"/submissions/{first['id']}/review",
        json={"decision": "revise", "comments": qc_comments},
    )
    assert reply.status == 201, reply.body
    assert people.agent.get(f"/orders/{oid}").body["status"] == "in_progress"
    [mine] = people.expert.get(f"/orders/{oid}/submissions").body
    assert [r["comments"] for r in mine["reviews"]] == [qc_comments]

    # The expert resubmits; QC approves; the customer sees only the approved delivery.
    final = b"Lettre de motivation, complete\n"
    reply = people.expert.post(
        f"/orders/{oid}/submissions",
        files=[("lettre.txt", final)],
        data={"titles": ["Cover letter (French)"], "notes": "Sentence restored."},
    )
    assert reply.status == 201, reply.body
    second = reply.body
    assert people.customer.get(f"/orders/{oid}/submissions").body == []
    reply = people.reviewer.post(
        f"/submissions/{second['id']}/review", json={"decision": "approve", "comments": ""}
    )
    assert reply.status == 201, reply.body
    assert reply.body["delivered_at"] is not None
    assert people.customer.get(f"/orders/{oid}").body["status"] == "delivered"
    reply = people.customer.get(f"/orders/{oid}/submissions")
    [seen] = reply.body
    assert (seen["id"], seen["reviews"]) == (second["id"], [])
    assert people.customer.get(f"/files/{seen['files'][0]['id']}").content == final
    # Rule 3: QC's comments reach the customer nowhere.
    for path in (f"/orders/{oid}", f"/orders/{oid}/submissions", f"/orders/{oid}/events"):
        assert qc_comments.encode() not in people.customer.get(path).content
    assert people.customer.get(f"/files/{first['files'][0]['id']}").status == 404

    # The customer completes; the reward, earned at the QC approval, waits 30 days.
    reply = people.customer.post(f"/orders/{oid}/complete")
    assert (reply.status, reply.body["status"]) == (200, "completed")
    reply = people.expert.get("/ledger")
    assert reply.status == 200, reply.body
    ledger = reply.body
    assert ledger["expert"] == people.expert.email
    [reward] = ledger["items"]
    assert (reward["kind"], reward["order"], Decimal(reward["amount"])) == (
        "reward",
        oid,
        Decimal("80.00"),
    )
    # Rule 11: released 30 calendar days after the approval, which delivered it.
    tz = ZoneInfo(settings.TIME_ZONE)
    due = wall_clock(seen["delivered_at"], tz) + timedelta(days=30)
    assert abs(wall_clock(reward["release_at"], tz) - due) < timedelta(seconds=5)
    assert [
        (b["currency"], Decimal(b["pending"]), Decimal(b["available"])) for b in ledger["balances"]
    ] == [("USD", Decimal("80.00"), Decimal("0"))]
    assert people.expert2.get("/ledger").body["items"] == []
