"""Every failure leaves the API as {"error": {"code", "message", "field"?}} with the status
DESIGN.md names: 400 bad input (naming the field), 404 for what does not exist, 409 for a state
conflict, 413 for an upload over the limit. A refused request stores nothing."""

import pytest

from atelier.orders.models import Order, OrderFile

from .apiclient import error_of, snapshot

Flow = Order.Flow
NEW_ORDER = {"service": "resume-writing", "title": "A CV", "customer": "customer@example.com"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"title": "   "}, "title"),
        ({"service": "underwater-basket-weaving"}, "service"),
        ({"customer": "not an e-mail"}, "customer"),
        ({"customer": None}, "customer"),
        ({"reward": {"amount": "twelve", "currency": "USD"}}, "reward.amount"),
        ({"reward": {"amount": "-5.00", "currency": "USD"}}, "reward.amount"),
        ({"reward": {"amount": "1.234", "currency": "USD"}}, "reward.amount"),
        ({"reward": {"amount": "10.00", "currency": "DOLLARS"}}, "reward.currency"),
        ({"assignment": "auction"}, "assignment"),
        ({"due_at": "next tuesday"}, "due_at"),
        ({"due_at": "2020-01-01T00:00:00Z"}, "due_at"),
    ],
)
def test_a_bad_order_is_refused_naming_the_field(api, world, change, field):
    # given an order with one thing wrong
    payload = {k: v for k, v in {**NEW_ORDER, **change}.items() if v is not None}
    before = snapshot()

    # when an agent sends it
    status, body = api.as_(world.agent).post("/orders", payload)

    # then it is bad input, the field named, and nothing is made
    assert status == 400
    error = error_of(body)
    assert error["code"] == "invalid" and error["field"] == field
    assert snapshot() == before


def test_malformed_json_is_bad_input(api, world):
    before = snapshot()

    response = api.as_(world.agent).call("POST", "/orders", raw='{"service": "resume-writing",')

    assert response.status_code == 400
    assert error_of(response.json())["code"] == "invalid"
    assert snapshot() == before


def test_an_unknown_expert_is_named_on_assign_and_invite(api, world):
    direct, speedy = world.order(), world.order(Flow.MARKETPLACE)
    agent = api.as_(world.agent)

    assigned = agent.post(f"/orders/{direct.pk}/assign", {"expert": "nobody@example.com"})
    invited = agent.post(
        f"/orders/{speedy.pk}/invitations", {"experts": ["expert@example.com", "nobody@x.org"]}
    )
    customer_as_expert = agent.post(
        f"/orders/{direct.pk}/assign", {"expert": "customer@example.com"}
    )

    assert (assigned[0], error_of(assigned[1])["field"]) == (400, "expert")
    assert (invited[0], error_of(invited[1])["field"]) == (400, "experts")
    assert (customer_as_expert[0], error_of(customer_as_expert[1])["field"]) == (400, "expert")
    assert not speedy.invitations.exists()
    direct.refresh_from_db()
    assert direct.status == Order.Status.OPEN and direct.expert is None


@pytest.mark.parametrize(
    ("files", "titles", "field", "code"),
    [
        ([("a.txt", b"A"), ("b.txt", b"B")], ["Only one"], "titles", "invalid"),
        ([("a.txt", b"A")], ["One", "Two"], "titles", "invalid"),
        ([("a.txt", b"A")], ["   "], "titles", "invalid"),
        ([("a.txt", b"A"), ("empty.txt", b"")], ["A", "Empty"], "files", "empty_file"),
    ],
    ids=["fewer-titles", "more-titles", "blank-title", "empty-file"],
)
def test_a_bad_submission_is_refused_and_stores_nothing(api, world, files, titles, field, code):
    # given the expert at work
    order = world.assigned()
    before = snapshot()

    # when they send files and titles that do not match up
    status, body = api.as_(world.expert).post(
        f"/orders/{order.pk}/submissions", files={"files": files}, data={"titles": titles}
    )

    # then it is refused, naming the field, and no submission nor file is kept
    assert status == 400
    error = error_of(body)
    assert (error["code"], error["field"]) == (code, field)
    assert snapshot() == before


def test_a_submission_without_files_is_bad_input(api, world):
    order = world.assigned()

    status, body = api.as_(world.expert).post(
        f"/orders/{order.pk}/submissions", data={"titles": ["Resume"], "notes": "Here."}
    )

    assert status == 400 and error_of(body)["field"] == "files"
    assert not order.submissions.exists()


@pytest.mark.parametrize("where", ["submissions", "attachments", "revision-requests"])
def test_an_upload_over_the_limit_is_413_and_stores_nothing(api, world, settings, where):
    # given an order that accepts this kind of upload, and a 10-byte limit
    order = world.delivered() if where == "revision-requests" else world.assigned()
    settings.ATELIER_MAX_UPLOAD_BYTES = 10
    person = world.expert if where == "submissions" else world.customer
    files_before = OrderFile.objects.count()
    before = snapshot()

    # when someone uploads 11 bytes
    status, body = api.as_(person).post(
        f"/orders/{order.pk}/{where}",
        files={"files": [("big.txt", b"x" * 11)]},
        data={"titles": ["Big"], "comments": "See the file."},
    )

    # then it is too large, naming the files, and nothing is stored
    assert status == 413
    error = error_of(body)
    assert (error["code"], error["field"]) == ("too_large", "files")
    assert snapshot() == before and OrderFile.objects.count() == files_before


def test_an_upload_at_the_limit_is_accepted(api, world, settings):
    settings.ATELIER_MAX_UPLOAD_BYTES = 10
    order = world.assigned()

    status, body = api.as_(world.customer).post(
        f"/orders/{order.pk}/attachments", files={"files": [("ten.txt", b"x" * 10)]}
    )

    assert status == 201 and body[0]["size"] == 10


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/orders/999999", None),
        ("GET", "/orders/999999/events", None),
        ("POST", "/orders/999999/complete", None),
        ("GET", "/submissions/999999", None),
        ("POST", "/invitations/999999/accept", None),
        ("POST", "/revision-requests/999999/triage", {"decision": "in_scope"}),
        ("POST", "/fee-requests/999999/decision", {"approve": True}),
        ("POST", "/flags/999999/resolve", {"resolution": ""}),
        ("GET", "/files/999999", None),
        ("GET", "/no/such/endpoint", None),
    ],
)
def test_what_does_not_exist_is_404_in_the_error_shape(api, world, method, path, body):
    response = api.as_(world.agent).call(method, path, json=body)

    assert response.status_code == 404
    assert error_of(response.json())["code"] == "not_found"


def test_an_unknown_api_path_outside_v1_is_404_json(api, world):
    response = api.as_(world.agent).call("GET", "/../v0/orders")

    assert response.status_code == 404 and error_of(response.json())["code"] == "not_found"


UPLOAD = {"files": {"files": [("a.txt", b"A")]}}
IS, CLOSED = "invalid_state", "order_closed"


@pytest.mark.parametrize(
    ("given", "person", "path", "body", "code"),
    [
        ("in_progress", "customer", "complete", {}, IS),
        ("in_progress", "customer", "revision-requests", {"data": {"comments": "More."}}, IS),
        ("delivered", "agent", "assign", {"json": {"expert": "expert2@example.com"}}, IS),
        ("completed", "expert", "submissions", {**UPLOAD, "data": {"titles": ["A"]}}, CLOSED),
        ("completed", "customer", "comments", {"data": {"body": "Hello."}}, CLOSED),
        ("completed", "agent", "cancel", {"json": {"reason": "Because."}}, IS),
        ("delivered", "agent", "reopen", {"json": {"reason": "Because."}}, IS),
    ],
)
def test_an_action_the_orders_state_does_not_allow_is_409(
    api, world, given, person, path, body, code
):
    # given an order in a state that does not allow the action
    order = world.assigned() if given == "in_progress" else world.delivered()
    if given == "completed":
        api.as_(world.customer).post(f"/orders/{order.pk}/complete")
    order.refresh_from_db()
    status_before = order.status
    before = snapshot()

    # when the person it is for tries it anyway
    response = api.as_(getattr(world, person)).call("POST", f"/orders/{order.pk}/{path}", **body)

    # then it is a conflict with the action's own code, and nothing changed
    assert response.status_code == 409, response.content
    error = error_of(response.json())
    assert error["code"] == code
    order.refresh_from_db()
    assert order.status == status_before
    assert snapshot() == before


def test_a_second_review_of_the_same_submission_is_409(api, world):
    order = world.assigned(Flow.MARKETPLACE)
    draft = world.submit(order)
    reviewer = api.as_(world.reviewer)
    assert reviewer.post(f"/submissions/{draft.pk}/review", {"decision": "approve"})[0] == 201

    status, body = reviewer.post(f"/submissions/{draft.pk}/review", {"decision": "approve"})

    assert status == 409 and error_of(body)["code"] == "not_in_qc"
    assert draft.reviews.count() == 1


def test_an_error_response_is_json_with_the_right_content_type(api, world):
    response = api.as_(world.stranger).call("GET", f"/orders/{world.order().pk}")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": {"code": "not_found", "message": "No such order."}}


def test_a_wrong_method_on_a_known_path_is_405_in_the_error_shape(api, world):
    response = api.as_(world.agent).call("DELETE", "/orders")

    assert response.status_code == 405
    assert error_of(response.json())["code"] == "method_not_allowed"
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/orders", {**NEW_ORDER, "title": "A\x00CV"}, "title"),
        ("/auth/token", {"email": "agent\x00@example.com", "password": "x"}, "email"),
    ],
)
def test_text_with_a_nul_character_is_bad_input_on_every_database(api, world, path, payload, field):
    before = snapshot()

    status, body = api.as_(world.agent).post(path, payload)

    assert (status, error_of(body)["field"]) == (400, field)
    assert snapshot() == before
