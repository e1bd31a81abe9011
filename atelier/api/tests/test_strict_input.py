"""What clients send is read strictly: a field an operation does not read is refused with a 400
naming it (JSON, forms and multipart alike, never silently dropped), every validation error
names its field, dates are ISO 8601 only, and a comment may be JSON or multipart."""

from datetime import UTC, datetime

import pytest

from atelier.api.api import api as ninja_api
from atelier.orders.models import Comment, Order, OrderFile

from .apiclient import error_of, snapshot

Flow = Order.Flow
WRITES = {"post", "put", "patch", "delete"}


def _write_operations() -> list[tuple[str, str, bool]]:
    """(method, path with every id 999999, whether it reads a form) of each write operation."""
    schema = ninja_api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        for method, entry in operations.items():
            if method not in WRITES:
                continue
            content = entry.get("requestBody", {}).get("content", {})
            concrete = path.removeprefix("/api/v1")
            for parameter in entry.get("parameters", []):
                if parameter["in"] == "path":
                    concrete = concrete.replace("{" + parameter["name"] + "}", "999999")
            found.append((method.upper(), concrete, "multipart/form-data" in content))
    return found


@pytest.mark.parametrize(("method", "path", "form"), _write_operations())
def test_every_write_operation_refuses_an_unknown_field_by_name(api, world, method, path, form):
    # given an agent (anyone logged in: the body is read before anything is looked up)
    client = api.as_(world.agent)
    before = snapshot()

    # when they send a field the operation does not read
    if form:
        response = client.call(method, path, data={"surprise": "x"})
    else:
        response = client.call(method, path, json={"surprise": "x"})

    # then it is refused, naming that field, and nothing changed
    assert response.status_code == 400, response.content
    error = error_of(response.json())
    assert error["field"] == "surprise" and "surprise" in error["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"titel": "A CV"}, "titel"),
        ({"title": "A CV", "reward": {"amount": "10.00", "cents": 1000}}, "reward.cents"),
    ],
)
def test_a_misspelt_field_is_refused_rather_than_read_as_omitted(api, world, fields, named):
    # given an agent creating an order with a misspelt or stray field
    body = {"service": "resume-writing", "customer": world.customer.email, **fields}

    # when they send it
    status, answer = api.as_(world.agent).post("/orders", json=body)

    # then that field is named (not "title: Field required"), and no order is made
    assert status == 400
    assert error_of(answer)["field"] == named
    assert not Order.objects.exists()


def test_an_unknown_file_field_is_refused_and_nothing_is_stored(api, world):
    # given an order, and its customer attaching a document under a wrong name
    order = world.order()

    # when they upload it as "attachment" instead of "files"
    response = api.as_(world.customer).call(
        "POST", f"/orders/{order.pk}/attachments", files={"attachment": [("cv.txt", b"CV")]}
    )

    # then it is refused, naming the field, and no file is kept
    assert response.status_code == 400
    assert error_of(response.json())["field"] == "attachment"
    assert not OrderFile.objects.exists()


@pytest.mark.parametrize("value", ["0.5", "1700000000", "yesterday", "2026-13-01", "01/04/2026"])
def test_updated_since_that_is_not_iso_8601_is_refused_naming_the_field(api, world, value):
    # when a client lists orders updated since something that is not an ISO 8601 date
    status, body = api.as_(world.agent).get("/orders", updated_since=value)

    # then it is told which parameter is wrong
    assert status == 400
    error = error_of(body)
    assert error["field"] == "updated_since" and error["message"].startswith("updated_since: ")
    assert value[:4].isdigit() or "ISO 8601" in error["message"]


def test_updated_since_without_an_offset_is_utc(api, world):
    # given an order last changed at noon UTC (8:00 in the platform's New York)
    order = world.order()
    Order.objects.filter(pk=order.pk).update(updated_at=datetime(2026, 4, 1, 12, 0, tzinfo=UTC))

    # when a client asks for what changed since 10:00 and since 13:00, without an offset
    early = api.as_(world.agent).get("/orders", updated_since="2026-04-01T10:00:00")
    late = api.as_(world.agent).get("/orders", updated_since="2026-04-01T13:00:00")

    # then those are read as UTC, as every time the API writes
    assert [o["id"] for o in early[1]["items"]] == [order.pk]
    assert late[1]["items"] == []


# --- comments: JSON or multipart -------------------------------------------------------------


def test_a_comment_may_be_json(api, world):
    # given an order in progress
    order = world.assigned()

    # when the customer comments with a JSON body
    status, body = api.as_(world.customer).post(
        f"/orders/{order.pk}/comments", json={"body": "Any news?"}
    )

    # then it is posted, as from the form
    assert status == 201, body
    assert (body["author"], body["body"], body["files"]) == (world.customer.email, "Any news?", [])
    assert Comment.objects.get().body == "Any news?"


@pytest.mark.parametrize(
    ("send", "field"),
    [
        ({"json": {}}, "body"),
        ({"json": {"text": "Hello"}}, "text"),
        ({"json": {"body": "Hello", "files": ["cv.txt"]}}, "files"),
        ({"data": {}}, "body"),
        ({"data": {"bdy": "Hello"}}, "bdy"),
    ],
)
def test_a_wrong_comment_is_refused_naming_the_field(api, world, send, field):
    # given an order in progress
    order = world.assigned()

    # when the customer sends a comment without its body, or with a field it does not have
    response = api.as_(world.customer).call("POST", f"/orders/{order.pk}/comments", **send)

    # then they are told which field, and nothing is posted
    assert response.status_code == 400
    error = error_of(response.json())
    assert error["field"] == field and error["message"].startswith(f"{field}:")
    assert not Comment.objects.exists()
