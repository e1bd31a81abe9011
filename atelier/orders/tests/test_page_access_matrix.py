"""The page access matrix: every URL the site serves (but the API, which has its own matrix in
atelier/api/tests/test_access_matrix.py), opened by every kind of person on orders in every state
that matters, answers as the table below says, and no page shows anyone a private marker they
may not read.

The pages keep the API's rules: a page about something you may not see is a 404, exactly as
for something that does not exist; a page you see but may not act on (or a part of an order you
see but may not read) is a 403; nobody logged in is sent to log in. A refused POST changes
nothing; an allowed one changes something.

The people: N nobody logged in, C the customer (every order here is hers), O another customer,
E the expert (assigned, or invited and first to accept), X another expert with no part in any
order, I a pro invited to the "invited" order who has not answered yet (and who missed the
orders E took), R a QC reviewer, A an agent.

The orders, one per state (marketplace, with QC, unless said): open, invited, in_progress (a
quoted fee and E's flag), in_qc (a draft QC sent back with comments, the revision waiting),
delivered (E's flag resolved by an agent, C's concern), revision_requested,
revision_submitted, completed, cancelled; writer (writer portal, no QC, delivered), hub (expert
hub, delivered a week ago and opened: closable) and closed (expert hub, closed with a farewell).
Each carries the customer's documents and a message with a file. Their private parts carry the
MARKERS, and `who_reads` says who may read each.

Everything is built once for the module through the real actions; every request runs in a
transaction rolled back after it, so an allowed POST really acts without changing what the next
request sees.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from atelier.accounts.models import ApiToken, User
from atelier.accounts.tokens import issue_token
from atelier.api.tests.apiclient import Api
from atelier.catalog.models import Policy, Service
from atelier.core import clock
from atelier.documents.tests.samples import png
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.actions import Upload
from atelier.orders.models import (
    FLOW_PRESETS,
    AccessLink,
    Appeal,
    Comment,
    Event,
    ExtensionRequest,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    QCReview,
    Rating,
    RevisionItem,
    RevisionRequest,
    Submission,
)
from atelier.orders.tests.factories import ServiceFactory, UserFactory
from atelier.rewards.models import LedgerEntry
from atelier.webhooks import actions as webhooks
from atelier.webhooks.models import Delivery, Endpoint

# Each test runs inside the module's transaction (see `seed`); the mark also tells pytest-django
# to set up the test database.
pytestmark = pytest.mark.django_db

Flow = Order.Flow
PEOPLE = "NCOEXIRA"
LOGGED_IN = PEOPLE[1:]

# --- the private markers, and who may read each -----------------------------------------------

DOCNAME = "PRIVATE-DOCNAME-91c2.docx"  # the customer's document
IMAGE = "PRIVATE-IMAGE-4d0f.png"  # another document of hers (served inline)
CONVERSATION = "PRIVATE-CONVERSATION-7f3a"  # her message to the expert
COMMENTFILE = "PRIVATE-COMMENTFILE-5b1e.txt"  # the file sent with it
QCCOMMENT = "PRIVATE-QCCOMMENT-2a9d"  # QC's comments on a draft it sent back
REVISION = "PRIVATE-REVISION-8e0b"  # the customer's revision request
FLAGNOTE = "PRIVATE-FLAGNOTE-c4e8"  # the expert's note on a flag
AGENTNOTE = "PRIVATE-AGENTNOTE-6f0d"  # an agent's resolution of that flag
CONCERN = "PRIVATE-CONCERN-b3f1"  # the customer's note on a concern she raised
CUSTOMERNAME = "PRIVATE-CUSTOMERNAME-0e6c"  # in the customer's name
PRONAME = "PRIVATE-PRONAME-a17b"  # in the invited pro's name


def subfile(n: int) -> str:
    return f"PRIVATE-SUBMISSION-3d5e-v{n}.txt"  # the file of submission n


def subnote(n: int) -> str:
    return f"PRIVATE-SUBNOTE-v{n}-8c21"  # the notes of submission n


SUBMISSION_MARKERS = [m for n in (1, 2) for m in (subfile(n), subnote(n))]
MARKERS = [
    DOCNAME,
    IMAGE,
    CONVERSATION,
    COMMENTFILE,
    QCCOMMENT,
    REVISION,
    FLAGNOTE,
    AGENTNOTE,
    CONCERN,
    CUSTOMERNAME,
    PRONAME,
    *SUBMISSION_MARKERS,
]

# Who sees each order at all (everyone else: 404), by state. E is the order's expert once it
# has one; I is the pro invited and still deciding (later, the pro who missed it); R is QC, on
# orders with QC.
AUDIENCE = {
    "open": "CRA",
    "invited": "CIRA",
    "in_progress": "CERA",
    "in_qc": "CERA",
    "delivered": "CERA",
    "revision_requested": "CERA",
    "revision_submitted": "CERA",
    "completed": "CERA",
    "cancelled": "CERA",
    "writer": "CEA",
    "hub": "CEA",
    "closed": "CEA",
}
STATES = list(AUDIENCE)
QC_STATES = {s for s, people in AUDIENCE.items() if "R" in people}
# The order's conversation: the customer, its expert, agents.
PARTIES = {s: "CA" + ("E" if "E" in people else "") for s, people in AUDIENCE.items()}


def who_reads(marker: str, state: str, delivered: set[int]) -> str:
    """The people who may read `marker` on the order in `state` (whose submissions numbered
    `delivered` reached the customer): DESIGN's rules, restated here independently of access.py."""
    parties, qc = PARTIES[state], "R" if state in QC_STATES else ""
    if marker in {DOCNAME, IMAGE, REVISION}:
        return parties + qc  # the brief's documents: not for pros who are only invited
    if marker == CUSTOMERNAME:
        return parties + qc
    if marker in {CONVERSATION, COMMENTFILE}:
        return parties  # the thread: not QC, not invited pros
    if marker in SUBMISSION_MARKERS:
        n = int(marker.split("-v")[1][0])
        return "EA" + qc + ("C" if n in delivered else "")  # rule 3: QC first
    if marker == QCCOMMENT:
        return "EA" + qc  # never the customer (rule 3)
    if marker in {FLAGNOTE, AGENTNOTE}:
        return "AE"  # a flag is its raiser's and the agents' (as in the API)
    if marker == CONCERN:
        return "AC"
    if marker == PRONAME:
        return "AI"  # who else was invited is for agents
    raise AssertionError(marker)


def readable(seed: "Seed", person: str, state: str | None) -> set[str]:
    """The markers `person` may read on a page about the order in `state`; on a page about no
    order in particular (lists, inbox, console), those of every order. Everyone reads their own
    name in the top bar."""
    states = [state] if state else STATES
    allowed = {
        marker
        for s in states
        for marker in MARKERS
        if person in who_reads(marker, s, seed.delivered[s])
    }
    own = {"C": CUSTOMERNAME, "I": PRONAME}.get(person)
    return allowed | ({own} if own else set())


# --- the seed ----------------------------------------------------------------------------------


@dataclass
class Seed:
    people: dict[str, User]
    orders: dict[str, Order]
    ids: dict[str, Any] = field(default_factory=dict)
    delivered: dict[str, set[int]] = field(default_factory=dict)  # state → submission numbers
    clients: dict[str, Client] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # API tokens, for comparing answers

    def order(self, state: str) -> Order:
        return self.orders[state]


def _text(name: str, text: str = "Some words.\n", title: str = "") -> Upload:
    return Upload(ContentFile(text.encode(), name=name), title=title)


def _build() -> Seed:
    p = {
        "C": UserFactory(
            email="customer@example.com", name=f"Cora {CUSTOMERNAME}", is_customer=True
        ),
        "O": UserFactory(email="other-customer@example.com", name="Olga Other", is_customer=True),
        "E": UserFactory(email="expert@example.com", name="Emil Expert", is_expert=True),
        "X": UserFactory(email="other-expert@example.com", name="Xena Other", is_expert=True),
        "I": UserFactory(email="invitee@example.com", name=f"Ivo {PRONAME}", is_expert=True),
        "R": UserFactory(email="reviewer@example.com", name="Rita Reviewer", is_reviewer=True),
        "A": UserFactory(email="agent@example.com", name="Anna Agent", is_agent=True),
    }
    C, E, I, R, A = p["C"], p["E"], p["I"], p["R"], p["A"]  # noqa: E741
    service = ServiceFactory(slug="resume-writing")
    endpoint = webhooks.create_endpoint(
        actor=A, url="https://93.184.215.14/hook", events=["order.completed"]
    )
    seed = Seed(people=p, orders={})
    ids = seed.ids

    def new(state: str, flow: str = Flow.MARKETPLACE) -> Order:
        order = actions.create_order(
            actor=A,
            customer=C,
            service=service,
            title=f"Order {state.replace('_', ' ')}",
            instructions="One page, please.",
            reward_amount=Decimal("120.00"),
            **FLOW_PRESETS[flow],
        )
        document, image = actions.add_attachments(
            order,
            actor=C,
            files=[_text(DOCNAME), Upload(ContentFile(png(), name=IMAGE))],
        )
        comment = actions.post_comment(
            order, actor=C, body=f"Hello. {CONVERSATION}", files=[_text(COMMENTFILE)]
        )
        ids[f"{state}.document"], ids[f"{state}.image"] = document.pk, image.pk
        ids[f"{state}.comment_file"] = comment.files.get().pk
        seed.orders[state] = order
        seed.delivered[state] = set()
        return order

    def take(order: Order) -> Order:
        actions.invite_experts(order, actor=A, experts=[E, I])
        actions.accept_invitation(order.invitations.get(expert=E), actor=E)
        order.refresh_from_db()
        return order

    def submit(state: str, n: int) -> Submission:
        order = seed.orders[state]
        submission = actions.submit_work(
            order, actor=E, notes=subnote(n), files=[_text(subfile(n), title="Resume")]
        )
        ids[f"{state}.submission{n}"] = submission.pk
        ids[f"{state}.submission{n}.file"] = submission.files.get().pk
        order.refresh_from_db()
        return submission

    def deliver(state: str, n: int) -> Submission:
        submission = submit(state, n)
        if seed.orders[state].qc_required:
            actions.review_submission(submission, actor=R, decision=QCReview.Decision.APPROVE)
        seed.delivered[state].add(n)
        seed.orders[state].refresh_from_db()
        return submission

    new("open")

    actions.invite_experts(new("invited"), actor=A, experts=[I])
    ids["invited.invitation"] = seed.orders["invited"].invitations.get(expert=I).pk

    order = take(new("in_progress"))
    ids["in_progress.taken"] = order.invitations.get(expert=I).pk
    ids["in_progress.accepted"] = order.invitations.get(expert=E).pk
    ids["in_progress.flag"] = actions.raise_flag(
        order, actor=E, kind=Flag.Kind.EXCESSIVE_REVISIONS, note=FLAGNOTE
    ).pk
    fee = actions.request_fee(order, actor=E, amount="25.00", reason="A second page.")
    ids["in_progress.fee"] = actions.decide_fee(fee, actor=A, approve=True).pk

    take(new("in_qc"))
    draft = submit("in_qc", 1)
    actions.review_submission(draft, actor=R, decision=QCReview.Decision.REVISE, comments=QCCOMMENT)
    submit("in_qc", 2)

    order = take(new("delivered"))
    deliver("delivered", 1)
    flag = actions.raise_flag(order, actor=E, kind=Flag.Kind.EXCESSIVE_REVISIONS, note=FLAGNOTE)
    actions.resolve_flag(flag, actor=A, resolution=AGENTNOTE)
    actions.raise_flag(order, actor=C, kind=Flag.Kind.CONCERN, note=CONCERN)

    order = take(new("revision_requested"))
    deliver("revision_requested", 1)
    actions.request_revision(order, actor=C, comments=REVISION)

    order = take(new("revision_submitted"))
    deliver("revision_submitted", 1)
    actions.request_revision(order, actor=C, comments=REVISION)
    deliver("revision_submitted", 2)

    order = take(new("completed"))
    deliver("completed", 1)
    actions.complete_order(order, actor=C)

    actions.cancel_order(take(new("cancelled")), actor=A, reason="A duplicate order.")

    writer = new("writer", Flow.WRITER_PORTAL)
    actions.assign_expert(writer, actor=A, expert=E)
    writer.refresh_from_db()
    ids["writer.extension"] = actions.request_extension(
        writer, actor=E, due_at=writer.due_at + timedelta(days=2), reason="Twice the pages."
    ).pk
    deliver("writer", 1)

    for state in ("hub", "closed"):
        order = new(state, Flow.EXPERT_HUB)
        actions.assign_expert(order, actor=A, expert=E)
        with clock.frozen_at(clock.now() - timedelta(days=8)):
            submission = deliver(state, 1)
        actions.mark_delivery_opened(submission, actor=C)
        ids[f"{state}.farewell"] = actions.close_info(order, actor=E).farewell_template
    actions.close_order(seed.orders["closed"], actor=E, message=ids["closed.farewell"])
    ids["closed.token"] = re.search(r"/link/([^/\s]+)/", ids["closed.farewell"]).group(1)

    for order in seed.orders.values():
        order.refresh_from_db()
    ids["notification"] = Notification.objects.filter(recipient=C).order_by("pk").first().pk
    ids["api_token"] = issue_token(C, name="My script")[0].pk
    ids["endpoint"] = endpoint.pk
    ids["delivery"] = webhooks.send_test_event(endpoint, actor=A).pk
    for person, user in p.items():
        seed.clients[person] = Client()
        seed.clients[person].force_login(user)
        seed.tokens[person] = issue_token(user, name="matrix")[1]
    seed.clients["N"] = Client()
    return seed


@pytest.fixture(scope="module")
def seed(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    overrides = {
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "MEDIA_ROOT": media,
        "ATELIER_BASE_URL": "http://testserver",
    }
    with django_db_blocker.unblock(), override_settings(**overrides), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _test_settings(seed):
    """Instead of the suite's (conftest.py), which gives every test a media directory of its
    own: the files seeded for the module must stay readable."""


# --- one request, undone afterwards ------------------------------------------------------------

WRITABLE = [Order, Invitation, Submission, OrderFile, QCReview, RevisionRequest, FeeRequest]
WRITABLE += [Flag, Comment, Event, LedgerEntry, Notification, AccessLink, Endpoint, Delivery]
WRITABLE += [ApiToken, Policy, Service, ExtensionRequest, Rating, Appeal, RevisionItem]


def snapshot() -> dict[str, list[dict]]:
    """Every row a page could write (the order's status and updated_at included)."""
    rows = {m.__name__: list(m.objects.order_by("pk").values()) for m in WRITABLE}
    rows["users"] = list(User.objects.order_by("pk").values("pk", "email", "password"))
    return rows


@dataclass(frozen=True)
class FormFile:
    """A file to post with a form."""

    name: str
    content: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    location: str  # the path redirected to, if any
    body: str  # the HTML, "" for a download
    changed: bool | None  # for a POST: whether it wrote anything


def call(seed: Seed, person: str, method: str, url: str, data: dict | None = None) -> Answer:
    client = seed.clients[person]
    with transaction.atomic():
        before = snapshot() if method == "POST" else None
        response = client.post(url, _fresh(data or {})) if method == "POST" else client.get(url)
        if response.streaming:
            # Read to the end (the test client closes it then; closing it again would fire
            # request_finished, which closes the connection inside this transaction).
            b"".join(response.streaming_content)
            body = ""
        else:
            body = response.content.decode(errors="replace")
        changed = None if before is None else snapshot() != before
        transaction.set_rollback(True)
    location = urlsplit(response.get("Location", "")).path
    return Answer(response.status_code, location, body, changed)


def _fresh(data: dict) -> dict:
    """The form data, with new upload objects (a file is read once)."""
    return {
        k: SimpleUploadedFile(v.name, v.content) if isinstance(v, FormFile) else v
        for k, v in data.items()
    }


def login_path() -> str:
    return resolve_url(settings.LOGIN_URL)


# --- the table ---------------------------------------------------------------------------------

LOGIN = "login"  # 302 to the login page
Expect = Callable[[str], dict[str, int | str]]  # state → each person's answer


def seen(ok: int = 200, **but: int) -> Expect:
    """Whoever sees the order gets `ok` (or their exception in `but`); everyone else 404."""

    def expect(state: str) -> dict[str, int | str]:
        return {
            person: but.get(person, ok) if person in AUDIENCE[state] else 404
            for person in LOGGED_IN
        } | {"N": LOGIN}

    return expect


def people(default: int = 404, anonymous: int | str = LOGIN, **statuses: int) -> Expect:
    """The same answers whatever the state: `statuses` for those named, `default` for others."""
    table = {person: statuses.get(person, default) for person in LOGGED_IN} | {"N": anonymous}
    return lambda state: table


def by_state(**expects: Expect) -> Expect:
    return lambda state: expects[state](state)


Kwargs = Callable[[Seed, str], dict[str, Any]]


def order_pk(seed: Seed, state: str) -> dict[str, Any]:
    return {"pk": seed.order(state).pk}


def pk_of(key: str) -> Kwargs:
    """{"pk": the seeded id `key`}; "{state}" in the key stands for the row's state."""
    return lambda seed, state: {"pk": seed.ids[key.format(state=state)]}


def service_slug(seed: Seed, state: str) -> dict[str, Any]:
    return {"slug": seed.order("open").service.slug}


def nothing(seed: Seed, state: str) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Row:
    name: str  # the URL pattern's name
    expect: Expect
    kwargs: Kwargs = nothing
    states: tuple[str, ...] = ("",)  # "" for a page about no order in particular
    method: str = "GET"
    query: str = ""
    data: Callable[[Seed, str], dict] | None = None
    label: str = ""

    @property
    def id(self) -> str:
        return self.label or f"{self.method} {self.name}{self.query}"

    def url(self, seed: Seed, state: str) -> str:
        return reverse(self.name, kwargs=self.kwargs(seed, state)) + self.query


ALL = tuple(STATES)
MARKETPLACE_TAKEN = ("in_progress", "delivered", "completed", "cancelled")
HUB = ("hub",)

ROWS = [
    # the customer's pages and the order page everyone shares
    Row("home", people(200, C=200, O=200, E=302, X=302, I=302, R=302, A=302)),
    Row("order-new", people(403, C=200, O=200, A=200)),
    Row(
        "order-new",
        people(403, C=302, O=302, A=302),
        method="POST",
        data=lambda seed, state: {
            "service": seed.order("open").service_id,
            "title": "A cover letter",
            "instructions": "Short.",
        },
    ),
    Row("order-detail", seen(), order_pk, ALL, label="order page: overview"),
    Row("order-detail", seen(), order_pk, ALL, query="?tab=work", label="order page: work"),
    Row(
        "order-detail",
        seen(R=403, I=403),
        order_pk,
        ALL,
        query="?tab=conversation",
        label="order page: conversation",
    ),
    Row(
        "order-detail",
        seen(I=403),
        order_pk,
        ALL,
        query="?tab=timeline",
        label="order page: timeline",
    ),
    Row(
        "order-revision",
        seen(302, E=403, R=403),
        order_pk,
        ("delivered",),
        "POST",
        data=lambda seed, state: {"items": ["Please add my promotion.", "A shorter summary."]},
    ),
    Row("order-complete", seen(E=403, R=403, I=403), order_pk, ("delivered", "in_progress")),
    Row(
        "order-complete",
        seen(302, E=403, R=403),
        order_pk,
        ("delivered",),
        "POST",
        data=lambda seed, state: {"confirm": "on"},
    ),
    Row(
        "order-rate",
        seen(403, C=302),
        order_pk,
        ("completed",),
        "POST",
        data=lambda seed, state: {"stars": "5", "text": "Thank you.", "tip": "5.00"},
    ),
    Row(
        "order-comment",
        seen(302, R=403, I=403),
        order_pk,
        ("invited", "in_progress", "writer"),
        "POST",
        data=lambda seed, state: {"body": "A question."},
    ),
    Row(
        "order-attachments",
        seen(302, E=403, R=403, I=403),
        order_pk,
        ("invited", "in_progress"),
        "POST",
        data=lambda seed, state: {"files": FormFile("notes.txt", b"More notes.\n")},
    ),
    Row(
        "fee-respond",
        seen(403, C=302),
        lambda seed, state: {"pk": seed.order(state).pk, "fee_pk": seed.ids["in_progress.fee"]},
        ("in_progress",),
        "POST",
        data=lambda seed, state: {"accept": "yes"},
    ),
    Row(
        "extension-answer",
        seen(403, C=302, A=302),
        lambda seed, state: {
            "pk": seed.order(state).pk,
            "extension_pk": seed.ids["writer.extension"],
        },
        ("writer",),
        "POST",
        data=lambda seed, state: {"accept": "yes"},
    ),
    Row("order-final", seen(), order_pk, ALL),
    Row(
        "order-final-zip",
        by_state(
            invited=people(404),  # nothing delivered yet: for nobody
            in_qc=people(404),
            delivered=seen(),
            completed=seen(),
            writer=seen(),
            closed=seen(),
        ),
        order_pk,
        ("invited", "in_qc", "delivered", "completed", "writer", "closed"),
    ),
    # files: the customer's documents are not for pros who are only invited (as in the API)
    Row(
        "file-download",
        seen(I=404),
        pk_of("{state}.document"),
        ("invited", "in_progress", "writer"),
        label="download a customer document",
    ),
    Row(
        "file-download",
        seen(R=404, I=404),
        pk_of("{state}.comment_file"),
        ("invited", "in_progress"),
        label="download a file from the conversation",
    ),
    Row(
        "file-download",
        seen(C=404),
        pk_of("in_qc.submission2.file"),
        ("in_qc",),
        label="download a submission waiting in QC",
    ),
    Row(
        "file-download",
        seen(),
        pk_of("delivered.submission1.file"),
        ("delivered",),
        label="download a delivered submission",
    ),
    Row(
        "file-preview",
        seen(I=404),
        pk_of("{state}.document"),
        ("invited", "in_progress"),
        label="preview a customer document",
    ),
    Row(
        "file-preview",
        seen(R=404, I=404),
        pk_of("in_progress.comment_file"),
        ("in_progress",),
        label="preview a file from the conversation",
    ),
    Row(
        "file-preview",
        seen(C=404),
        pk_of("in_qc.submission2.file"),
        ("in_qc",),
        label="preview a submission waiting in QC",
    ),
    Row("file-inline", seen(I=404), pk_of("{state}.image"), ("invited", "in_progress")),
    Row(
        "submission-diff",
        by_state(revision_submitted=seen(), in_qc=seen(C=404)),
        lambda seed, state: {"pk": seed.order(state).pk, "number": 2},
        ("revision_submitted", "in_qc"),
    ),
    # the farewell's link: the customer goes to her documents; anyone else who may see the order
    # lands on it; a visitor sees how to sign in, nothing of the order; others get 404
    Row(
        "access-link",
        people(404, anonymous=200, C=302, E=302, A=302),
        lambda seed, state: {"token": seed.ids["closed.token"]},
        ("closed",),
    ),
    Row(
        "access-link",
        people(404, anonymous=404),
        lambda seed, state: {"token": "not-a-token"},
        label="access-link with a wrong token",
    ),
    Row(
        "access-link-code",
        people(405, anonymous=405),
        lambda seed, state: {"token": seed.ids["closed.token"]},
        ("closed",),
    ),
    # the expert's pages
    Row("expert-dashboard", people(404, E=200, X=200, I=200)),
    Row("expert-ratings", people(404, E=200, X=200, I=200)),
    Row(
        "invitation-detail",
        people(404, I=200, A=200),
        pk_of("invited.invitation"),
        label="a pending invitation",
    ),
    Row(
        "invitation-detail",
        people(404, I=200, A=200),
        pk_of("in_progress.taken"),
        label="an invitation someone else took",
    ),
    Row(
        "invitation-detail",
        people(404, E=302, A=302),
        pk_of("in_progress.accepted"),
        label="an accepted invitation",
    ),
    Row("invitation-accept", people(404, I=302, A=403), pk_of("invited.invitation"), method="POST"),
    Row(
        "invitation-decline",
        people(404, I=302, A=403),
        pk_of("invited.invitation"),
        method="POST",
        data=lambda seed, state: {"reason": "Busy."},
    ),
    Row("submission-create", seen(403, E=200), order_pk, ("invited", "in_progress")),
    Row(
        "submission-create",
        seen(403, E=302),
        order_pk,
        ("in_progress",),
        "POST",
        data=lambda seed, state: {
            "files": FormFile("cv.txt", b"CV\n"),
            "titles": "CV",
            "notes": "Here it is.",
        },
    ),
    Row(
        "order-close",
        by_state(hub=seen(E=200, C=403), delivered=seen(403, A=200)),
        order_pk,
        ("hub", "delivered"),
    ),
    Row(
        "order-close",
        seen(302, C=403),
        order_pk,
        HUB,
        "POST",
        data=lambda seed, state: {"message": seed.ids["hub.farewell"]},
    ),
    Row(
        "order-request-close",
        seen(403, E=302),
        order_pk,
        HUB,
        "POST",
        data=lambda seed, state: {"note": "Please close it."},
    ),
    Row("order-flag", seen(403, E=200, A=200), order_pk, ("invited", "in_progress")),
    Row(
        "order-flag",
        seen(403, E=302, A=302),
        order_pk,
        ("in_progress",),
        "POST",
        data=lambda seed, state: {"kind": Flag.Kind.CONCERN, "note": "Silence."},
    ),
    Row("order-fee-request", seen(403, E=200), order_pk, ("in_progress",)),
    Row("order-appeal", seen(403, E=200), order_pk, ("in_progress",)),
    Row(
        "order-appeal",
        seen(403, E=400),
        order_pk,
        ("in_progress",),
        "POST",
        data=lambda seed, state: {"reason": "QC misread the brief."},
        label="appeal without a send-back: refused, nothing changes",
    ),
    Row("order-extension", seen(403, E=200), order_pk, ("in_progress",)),
    Row(
        "order-extension",
        seen(403, E=302),
        order_pk,
        ("in_progress",),
        "POST",
        data=lambda seed, state: {
            "due_at": (seed.order(state).due_at + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Twice the pages.",
        },
    ),
    Row(
        "order-fee-request",
        seen(403, E=302),
        order_pk,
        ("in_progress",),
        "POST",
        data=lambda seed, state: {"amount": "10.00", "reason": "A cover page."},
    ),
    # QC
    Row("qc-queue", people(404, R=200)),
    Row(
        "qc-review",
        people(404, R=200, E=403, A=403),
        pk_of("in_qc.submission2"),
        label="review a submission waiting in QC",
    ),
    Row(
        "qc-review",
        people(404, R=302, E=403, A=403),
        pk_of("in_qc.submission2"),
        method="POST",
        data=lambda seed, state: {"decision": "approve"},
    ),
    Row(
        "qc-review",
        people(404, R=200, E=403, A=403, C=403),
        pk_of("delivered.submission1"),
        label="a reviewed and delivered submission",
    ),
    Row(
        "qc-claim",
        people(404, R=302, E=403, A=403),
        pk_of("in_qc.submission2"),
        method="POST",
        data=lambda seed, state: {"release": "1"},
        label="put one's rework back in the QC queue",
    ),
    # the inbox: one's own notifications
    Row("inbox", people(200)),
    Row("inbox-read-all", people(302), method="POST"),
    Row("inbox-open", people(404, C=302), pk_of("notification"), method="POST"),
    Row("inbox-read", people(404, C=302), pk_of("notification"), method="POST"),
    # the account pages of ours (the others, allauth's, follow the generic rule below)
    Row("profile", people(200)),
    Row(
        "token-create",
        people(200),
        method="POST",
        data=lambda seed, state: {"name": "Another script"},
    ),
    Row("token-revoke", people(404, C=200), pk_of("api_token")),
    Row("token-revoke", people(404, C=302), pk_of("api_token"), method="POST"),
    # the agent console: agents only, a 404 for everyone else
    Row("console-orders", people(404, A=200)),
    Row("console-order", seen(404, A=200), order_pk, ("invited", "delivered", "closed")),
    *[
        Row(
            "console-order",
            seen(404, A=200),
            order_pk,
            ("invited", "delivered", "closed"),
            query=f"?tab={tab}",
        )
        for tab in ("work", "conversation", "timeline", "money")
    ],
    Row(
        "console-order-action",
        people(404, A=302),
        lambda seed, state: {"pk": seed.order(state).pk, "name": "comment"},
        ("in_progress",),
        "POST",
        data=lambda seed, state: {"body": "An agent's word."},
    ),
    Row(
        "console-expert-search",
        people(404, A=302),
        order_pk,
        ("open",),
        query="?expert_q=emil",
    ),
    Row("console-flags", people(404, A=200)),
    Row(
        "console-flag-resolve",
        people(404, A=302),
        pk_of("in_progress.flag"),
        method="POST",
        data=lambda seed, state: {"resolution": "Talked to them."},
    ),
    Row("console-appeals", people(404, A=200)),
    Row(
        "console-appeal-decide",
        people(404),
        lambda seed, state: {"pk": 999999},
        method="POST",
        data=lambda seed, state: {"decision": "overturn", "reason": "QC misread the brief."},
        label="decide an appeal that does not exist: 404 for all, agents too",
    ),
    Row(
        "console-qc-reviewer",
        people(404, A=302),
        pk_of("in_qc.submission2"),
        method="POST",
        data=lambda seed, state: {"reviewer": seed.people["R"].pk},
    ),
    Row("console-ratings", people(404, A=200)),
    Row("console-services", people(404, A=200)),
    Row("console-on-time", people(404, A=200)),
    Row("console-service-policy", people(404, A=200), service_slug),
    Row(
        "console-service-policy",
        people(404, A=302),
        service_slug,
        method="POST",
        data=lambda seed, state: {
            **seed.order("open").service.policy.values(),
            "reminder_days": 4,
            "flow": "marketplace",
        },
    ),
    Row("console-outbox", people(404, A=200)),
    Row("console-outbox-message", people(404, A=200), pk_of("notification")),
    Row("console-outbox-retry", people(404, A=302), pk_of("notification"), method="POST"),
    Row("console-webhooks", people(404, A=200)),
    Row("console-webhook-new", people(404, A=200)),
    Row("console-webhook", people(404, A=200), pk_of("endpoint")),
    Row("console-webhook-edit", people(404, A=200), pk_of("endpoint")),
    Row("console-webhook-rotate", people(404, A=200), pk_of("endpoint")),
    Row("console-webhook-rotate", people(404, A=302), pk_of("endpoint"), method="POST"),
    Row(
        "console-webhook-active",
        people(404, A=302),
        pk_of("endpoint"),
        method="POST",
        data=lambda seed, state: {"active": "0"},
    ),
    Row("console-webhook-ping", people(404, A=302), pk_of("endpoint"), method="POST"),
    Row("console-webhook-delete", people(404, A=200), pk_of("endpoint")),
    Row("console-webhook-delete", people(404, A=302), pk_of("endpoint"), method="POST"),
    Row("console-webhook-delivery", people(404, A=200), pk_of("delivery")),
    Row("console-webhook-retry", people(404, A=302), pk_of("delivery"), method="POST"),
]
# Our account pages live under /accounts/ beside allauth's, which are being reworked: a row of
# ours that no longer resolves there is not stale, its page moved to the generic rule.
OPTIONAL = {"profile", "token-create", "token-revoke"}
# POSTs that may write nothing even when allowed (nothing to mark read, a retry refused for a
# notification that did not fail): their refusals are still checked to change nothing.
MAY_WRITE_NOTHING = {"inbox-read-all", "console-outbox-retry", "console-webhook-retry"}
# The rows by their test id (a label where one URL has several rows).
ROWS_BY_ID = {row.id: row for row in ROWS}
assert len(ROWS_BY_ID) == len(ROWS), "two rows with the same label"


def _problems(seed: Seed, row: Row, state: str, person: str, expected, answer: Answer) -> str:
    """What is wrong with `answer` beyond its status, in words ("" when nothing is)."""
    if expected == LOGIN:
        if answer.status != 302 or answer.location != login_path():
            return f"{answer.status} to {answer.location!r}, not to log in"
        return ""
    if answer.status != expected:
        return f"{answer.status}"
    if person != "N" and answer.status == 302 and answer.location == login_path():
        return "sent a logged-in person to log in"
    if row.method == "POST":
        if answer.status in (403, 404, 405) and answer.changed:
            return "a refused POST changed something"
        if answer.status < 400 and not answer.changed and row.name not in MAY_WRITE_NOTHING:
            return "an allowed POST changed nothing"
    leaked = [
        marker
        for marker in MARKERS
        if marker in answer.body and marker not in readable(seed, person, state or None)
    ]
    return f"shows {', '.join(leaked)}" if leaked else ""


@pytest.mark.parametrize("row_id", ROWS_BY_ID)
def test_every_page_answers_each_person_as_the_table_says(seed, row_id):
    # given a page, in each state it is tried in
    row = ROWS_BY_ID[row_id]
    if row.name in OPTIONAL and not _resolves(row.name):
        pytest.skip(f"{row.name} is gone from /accounts/: the generic rule covers its successor")

    # when each person opens it (or posts to it)
    wrong = {}
    for state in row.states:
        url = row.url(seed, state)
        expected = row.expect(state)
        for person in PEOPLE:
            data = row.data(seed, state) if row.data else None
            answer = call(seed, person, row.method, url, data)
            if problem := _problems(seed, row, state, person, expected[person], answer):
                wrong[f"{state or '-'} {person}"] = f"{problem} (expected {expected[person]})"

    # then each got the table's answer, saw only what they may read, and a refusal wrote nothing
    assert wrong == {}


# What the allowed readers must see, so that the marker checks above are not vacuous.
MUST_READ = [
    ("order page: overview", "in_progress", "C", [DOCNAME, IMAGE, CUSTOMERNAME]),
    ("order page: overview", "in_qc", "R", [DOCNAME, CUSTOMERNAME, subfile(2), QCCOMMENT]),
    ("order page: overview", "in_qc", "E", [DOCNAME, subfile(1), subfile(2)]),
    ("order page: overview", "delivered", "C", [subfile(1), subnote(1)]),
    ("order page: overview", "revision_requested", "E", [REVISION]),
    ("order page: overview", "revision_requested", "R", [REVISION]),
    ("order page: work", "in_qc", "E", [QCCOMMENT]),
    ("order page: conversation", "in_progress", "C", [CONVERSATION, COMMENTFILE]),
    ("order page: conversation", "in_progress", "E", [CONVERSATION, COMMENTFILE]),
    ("order page: conversation", "in_progress", "A", [CONVERSATION, COMMENTFILE]),
    ("GET console-order?tab=conversation", "delivered", "A", [FLAGNOTE, AGENTNOTE, CONCERN]),
    ("GET console-order", "invited", "A", [PRONAME]),
    ("GET console-flags", "", "A", [FLAGNOTE, CONCERN]),
]


@pytest.mark.parametrize(("row_id", "state", "person", "markers"), MUST_READ)
def test_the_people_who_may_read_a_marker_do_read_it(seed, row_id, state, person, markers):
    row = ROWS_BY_ID[row_id]
    answer = call(seed, person, "GET", row.url(seed, state))
    assert answer.status == 200
    assert [m for m in markers if m not in answer.body] == []


# --- every URL pattern has a row ---------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str  # the whole route, as the resolver spells it
    name: str | None  # with its namespace ("admin:index")

    @property
    def key(self) -> str:
        return self.name or self.route


def all_patterns() -> list[Pattern]:
    def walk(patterns, prefix: str, namespace: str):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                yield Pattern(prefix + str(p.pattern), f"{namespace}{p.name}" if p.name else None)

    return list(walk(get_resolver().url_patterns, "", ""))


def _outside_the_matrix(pattern: Pattern) -> bool:
    """The API has its own matrix; static and media files are not pages."""
    route = pattern.route.lstrip("^")
    return route.startswith(("api/", "static/", "media/"))


def _resolves(name: str) -> bool:
    return any(p.name == name for p in all_patterns())


def test_every_url_pattern_has_a_row():
    # given every pattern the site resolves, but the API, the admin and /accounts/ (the last two
    # follow the generic rules below)
    patterns = [
        p
        for p in all_patterns()
        if not _outside_the_matrix(p)
        and not p.route.lstrip("^").startswith(("admin/", "accounts/"))
    ]

    # then each has a row, and no row names a pattern that is gone
    rows = {row.name for row in ROWS}
    missing = sorted({p.key for p in patterns} - rows)
    assert missing == [], f"URL patterns without a row in the page access matrix: {missing}"
    gone = sorted(rows - {p.key for p in all_patterns()} - OPTIONAL)
    assert gone == [], f"rows for URL patterns that no longer exist: {gone}"


# --- the generic rules: the admin and allauth's account pages ----------------------------------


def _fill(route: str, values: dict[str, str]) -> str:
    """A URL for `route`, its parameters (path converters or regex groups) filled from `values`."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
    return "/" + route.replace("^", "").replace("$", "")


def _admin_values(route: str, seed: Seed) -> dict[str, str]:
    """Parameters for an admin URL: an existing object of the page's model (or a missing one,
    for models without rows)."""
    order = seed.order("delivered")
    values = {
        "app_label": "orders",
        "url": "no-such-page/",
        "content_type_id": str(ContentType.objects.get_for_model(Order).pk),
        "pk": str(order.pk),
        "name": "complete",
    }
    if match := re.match(r"\^?admin/(\w+)/(\w+)/", route):
        try:
            model = apps.get_model(match.group(1), match.group(2))
        except LookupError:
            model = None
        first = model.objects.order_by("pk").first() if model else None
        values["object_id"] = values["id"] = str(first.pk if first else 999999)
    values.setdefault("object_id", str(order.pk))
    return values


def test_the_admin_is_for_agents_only(seed):
    # given every admin page, filled with an existing object of its model
    patterns = [p for p in all_patterns() if p.route.lstrip("^").startswith("admin/")]
    assert len(patterns) > 20 and admin.site.is_registered(Order)
    # Where a non-agent is sent: a login (the admin's, or the site's one way in), or from the
    # admin's logout to its index, which sends them to log in in turn.
    away = {reverse("admin:login"), login_path(), reverse("admin:index")}

    # when each person opens it
    wrong = {}
    for pattern in patterns:
        url = _fill(pattern.route, _admin_values(pattern.route, seed))
        for person in PEOPLE:
            answer = call(seed, person, "GET", url)
            if person != "A":
                # then everyone but agents is sent away, and sees nothing
                if answer.status != 302 or answer.location not in away or answer.body:
                    wrong[f"{url} {person}"] = (answer.status, answer.location)
            elif _agents_reach(pattern, answer) is False:
                wrong[f"{url} A"] = (answer.status, answer.location)
    assert wrong == {}


def _agents_reach(pattern: Pattern, answer: Answer) -> bool:
    """An agent reaches the page: never sent to log in; the index, the apps' pages, every list
    and every existing object's page open (200); elsewhere the admin's own answers (403 for what
    a model's admin allows nobody, like adding ledger entries; 404 for no such page; 405 for
    logging out by GET) are its business, not the door's."""
    if pattern.route == "admin/login/":  # the login itself: agents are signed in already
        return answer.status in (200, 302)
    if answer.status == 302 and answer.location in {reverse("admin:login"), login_path()}:
        return False
    name = pattern.name or ""
    if name in {"admin:index", "admin:app_list"} or name.endswith("_changelist"):
        return answer.status == 200
    if name.endswith("_change") and answer.status != 302:  # 302: an object that does not exist
        return answer.status == 200
    return answer.status in (200, 302, 403, 404, 405)


def test_account_pages_answer_everyone_and_show_nothing_of_any_order(seed):
    # given every page under /accounts/ without a row of its own (allauth's: login, logout,
    # password reset, login by code, the second factor...), with made-up keys where they take one
    values = {"key": "made-up-key", "uidb36": "1"}
    patterns = [
        p
        for p in all_patterns()
        if p.route.lstrip("^").startswith("accounts/")
        and not any(row.name == p.name for row in ROWS)
    ]
    assert patterns, "no account pages found"

    # when each person opens it
    wrong = {}
    for pattern in patterns:
        url = _fill(pattern.route, values)
        for person in PEOPLE:
            answer = call(seed, person, "GET", url)
            # then nobody logged in gets the page or a redirect (to log in first, say), or a
            # 404 for a made-up key; the others at most a 404 for what is not theirs; nothing
            # fails, and nothing of any order shows
            keyed = "(?P<" in pattern.route
            if person == "N":
                allowed = {200, 302, 404} if keyed else {200, 302}
            else:
                allowed = {200, 302, 404, 405}
            shown = [m for m in MARKERS if m in answer.body and m not in readable(seed, person, "")]
            if answer.status not in allowed or shown:
                wrong[f"{url} {person}"] = (answer.status, shown)
    assert wrong == {}


# --- the bugs this matrix was written for, each against the API's answer ----------------------


def _api_status(seed: Seed, person: str, path: str) -> tuple[int, Any]:
    return Api({seed.people[person].pk: seed.tokens[person]}, seed.people[person]).get(path)


def test_a_reviewer_reads_no_conversation_on_the_page_as_in_the_api(seed):
    # given a QC order with a message and its file, as a reviewer sees it
    order = seed.order("in_qc")
    page = call(seed, "R", "GET", f"/orders/{order.pk}/")

    # then the page has no conversation tab and nothing of it, and asking for it is refused with
    # the API's status
    assert page.status == 200 and "?tab=conversation" not in page.body
    assert CONVERSATION not in page.body and COMMENTFILE not in page.body
    api_status, _ = _api_status(seed, "R", f"/orders/{order.pk}/comments")
    direct = call(seed, "R", "GET", f"/orders/{order.pk}/?tab=conversation")
    assert direct.status == api_status == 403
    assert CONVERSATION not in direct.body


def test_an_invited_pro_sees_no_more_of_the_customer_than_the_api_shows(seed):
    # given an order a pro is invited to and has not answered
    order = seed.order("invited")
    status, documents = _api_status(seed, "I", f"/orders/{order.pk}/attachments")
    _, order_out = _api_status(seed, "I", f"/orders/{order.pk}")
    assert (status, documents, order_out["customer"]) == (200, [], None)

    # when the pro opens the order page
    page = call(seed, "I", "GET", f"/orders/{order.pk}/")

    # then it shows neither the documents (names, sizes) nor who the customer is
    assert page.status == 200 and "One page, please." in page.body
    assert [m for m in (DOCNAME, IMAGE, CUSTOMERNAME) if m in page.body] == []
    assert "Customer documents" in page.body and "No files." in page.body


def test_an_agent_accepting_an_invitation_is_forbidden_as_in_the_api_and_nothing_changes(seed):
    # given a pending invitation
    pk = seed.ids["invited.invitation"]

    # when an agent posts "accept" on the page
    answer = call(seed, "A", "POST", f"/invitations/{pk}/accept/")

    # then it is refused with a reason (the API's 403), and nothing changed
    assert answer.status == 403 and answer.changed is False
    assert "an agent assigns" in answer.body
