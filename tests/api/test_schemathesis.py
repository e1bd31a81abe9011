"""Schemathesis over the whole OpenAPI document, against the live server: every operation gets
requests generated from its schema (the document's examples, schemathesis's coverage cases for
boundaries and wrong types, then Hypothesis fuzzing), once as an agent and once as a customer.
No answer may be a server error, and every documented answer must have its documented shape
and content type.

One test per operation and role, each on a freshly seeded world (orders in most states, with
attachments, submissions, revision requests, fees, flags and invitations), so no operation
starves on what an earlier one cancelled or completed. Generated ids are steered onto rows that
exist, so requests reach the actions rather than stopping at "not found". Reproducible: a fixed
seed, no example database, no deadline.

The document is the live server's /api/v1/openapi.json: schemathesis builds its tests at
collection time, before any server runs, so it reads the document in-process, and the run
checks once that the live server serves that very document.

Checks: schemathesis's not_a_server_error, status_code_conformance (every answer's status is
one the operation declares: its errors too, api/openapi.py), response_schema_conformance (the
errors' shape included) and content_type_conformance, and our own errors_in_the_api_shape (for
the answers no operation declares, such as 405 to a method a path does not have).
"""

import time
from collections import Counter
from decimal import Decimal

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from atelier.api.api import api
from atelier.catalog.models import Service
from atelier.orders import actions
from atelier.orders.models import (
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    RevisionRequest,
    Submission,
)
from atelier.orders.tests.factories import ServiceFactory, World, doc

pytestmark = pytest.mark.django_db(transaction=True)

SEED = 20260401
CONFIG = {
    "seed": SEED,
    "generation": {
        "database": "none",
        # We send the caller's real token; no generated credentials.
        "with-security-parameters": False,
    },
    "phases": {
        "examples": {"enabled": True},
        # Boundaries, wrong types, missing and unexpected fields and methods: the bad requests.
        "coverage": {"enabled": True},
        # Then valid requests, steered onto what exists, to reach the actions behind them.
        "fuzzing": {"enabled": True, "generation": {"mode": "positive", "max-examples": 12}},
        "stateful": {"enabled": False},
    },
}


def errors_in_the_api_shape(ctx, response, case) -> None:
    """DESIGN, "Public API": every error is JSON, {"error": {"code": ..., "message": ...}},
    whether or not its operation declares it (a wrong method, an unknown path)."""
    if response.status_code < 400:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/json"), (
        f"{response.status_code} answered as {content_type!r}: {response.content[:200]!r}"
    )
    error = response.json().get("error")
    assert isinstance(error, dict), f"no error object: {response.content[:200]!r}"
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), error


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    errors_in_the_api_shape,
]

DOCUMENT = api.get_openapi_schema()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict(CONFIG))

# What exists in the current test's world (see `known_values`): ids by path parameter name,
# and the values of body fields that name people, services and orders.
KNOWN: dict[str, list] = {}


def steer(name: str, value, key: int):
    """A generated value stands for the (key mod k+1)-th known one, or stays as it is one time
    in k+1: requests reach real rows and people, and "not found" is still tried."""
    known = KNOWN.get(name)
    if not known:
        return value
    slot = key % (len(known) + 1)
    return known[slot] if slot < len(known) else value


@schema.hook("map_path_parameters")
def onto_existing_rows(context, path_parameters):
    if not path_parameters:
        return path_parameters
    return {
        name: steer(name, value, value)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else value
        for name, value in path_parameters.items()
    }


@schema.hook("map_body")
def onto_existing_names(context, body):
    if not isinstance(body, dict):
        return body
    steered = dict(body)
    for name, value in body.items():
        if isinstance(value, str):
            steered[name] = steer(name, value, len(value))
        elif name == "experts" and isinstance(value, list):
            steered[name] = [steer("expert", v, len(v)) if isinstance(v, str) else v for v in value]
        elif name in {"order", "linked_order"} and type(value) is int:
            steered[name] = steer("order_id", value, abs(value))
    return steered


F = Order.Flow


def seed_world() -> World:
    """Orders in most states, each with its parts, reached through the real actions."""
    world = World.build()
    ServiceFactory(slug="cover-letter", flow=F.EXPERT_HUB)
    ServiceFactory(slug="translation", flow=F.MARKETPLACE, reward_amount=Decimal("80.00"))
    open_order = world.order(title="Still open")
    invited = world.order(F.MARKETPLACE, title="Invitations out")
    actions.invite_experts(invited, actor=world.agent, experts=[world.expert, world.expert2])
    world.assigned(title="At work")
    world.submit(world.assigned(F.MARKETPLACE, title="In QC"))
    delivered = world.delivered(title="Delivered")
    world.open_latest(world.delivered(F.EXPERT_HUB, title="Expert hub, delivered"))
    world.revise(world.delivered(title="Revision asked"))
    done = world.delivered(F.MARKETPLACE, title="Completed")
    actions.complete_order(done, actor=world.customer)
    actions.add_attachments(open_order, actor=world.customer, files=[doc("old.txt")])
    actions.post_comment(delivered, actor=world.customer, body="Thanks, reading it now.")
    actions.raise_flag(delivered, actor=world.expert, kind=Flag.Kind.CONCERN, note="Unclear.")
    actions.request_fee(delivered, actor=world.expert, amount=Decimal("20.00"), reason="A page.")
    return world


def known_values(world: World) -> dict[str, list]:
    models = {
        "order_id": Order,
        "invitation_id": Invitation,
        "submission_id": Submission,
        "file_id": OrderFile,
        "request_id": RevisionRequest,
        "fee_id": FeeRequest,
        "flag_id": Flag,
    }
    ids = {name: sorted(m.objects.values_list("pk", flat=True)) for name, m in models.items()}
    people = [world.expert.email, world.expert2.email, world.customer.email, world.agent.email]
    return {
        **ids,
        "service": sorted(Service.objects.values_list("slug", flat=True)),
        "expert": people,
        "customer": [world.customer.email, "new-customer@example.com"],
        "email": people,
        "currency": ["USD", "EUR"],
        "password": ["pw-for-tests"],
    }


@pytest.fixture(params=["agent", "customer"])
def caller(request, live_server, settings, token_for) -> dict[str, str]:
    """A freshly seeded world; the headers of its agent (or customer) at the API."""
    settings.ATELIER_BASE_URL = live_server.url
    world = seed_world()
    KNOWN.clear()
    KNOWN.update(known_values(world))
    yield {"Authorization": f"Bearer {token_for(getattr(world, request.param).email)}"}
    KNOWN.clear()


@pytest.fixture(scope="session")
def served_document(live_server) -> None:
    served = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == DOCUMENT, "the tests were generated from another document"


@pytest.fixture(scope="session")
def sent() -> Counter:
    """Requests sent by status code, printed at the end of the session (`-s` shows it)."""
    statuses, started = Counter(), time.monotonic()
    yield statuses
    print(
        f"\nschemathesis: {sum(statuses.values())} requests in {time.monotonic() - started:.0f}s,"
        f" by status {dict(sorted(statuses.items()))}"
    )


@schema.parametrize()
@settings(
    deadline=None,
    # One seeded world per operation and role, shared by its generated requests: on purpose.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api(case, caller, live_server, served_document, sent):
    response = case.call_and_validate(base_url=live_server.url, headers=caller, checks=CHECKS)
    sent[response.status_code] += 1
