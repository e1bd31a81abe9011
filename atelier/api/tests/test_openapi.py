"""The OpenAPI document is valid, public, and lists every operation of DESIGN.md's table; each
operation declares the errors it can give in the one error shape, its bodies' strictness and its
fields' limits; the interactive docs page renders."""

import re

from django.test import Client
from ninja import Router
from ninja.throttling import AnonRateThrottle
from openapi_spec_validator import validate

from atelier.api.api import AtelierAPI

# DESIGN.md, "Public API": method and path of every row.
DESIGN_TABLE = """
POST /orders
GET /orders
GET /orders/{id}
POST /orders/{id}/attachments
POST /orders/{id}/assign
POST /orders/{id}/invitations
GET /invitations
POST /invitations/{id}/accept
POST /invitations/{id}/decline
POST /orders/{id}/submissions
GET /orders/{id}/submissions
GET /files/{id}
POST /submissions/{id}/review
POST /orders/{id}/revision-requests
POST /revision-requests/{id}/triage
POST /orders/{id}/complete
GET /orders/{id}/close
POST /orders/{id}/close
POST /orders/{id}/comments
GET /orders/{id}/comments
POST /orders/{id}/flags
POST /orders/{id}/fee-requests
GET /orders/{id}/events
GET /ledger
POST /ledger/credits
GET /events
POST /orders/{id}/rating
POST /submissions/{id}/appeal
POST /appeals/{id}/decide
POST /auth/token
"""


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_the_openapi_document_is_valid_and_lists_every_operation_of_the_design(db):
    # when anyone fetches the document, without logging in
    response = Client().get("/api/v1/openapi.json")

    # then it is a valid OpenAPI document
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    schema = response.json()
    validate(schema)
    assert schema["info"]["title"] == "Atelier API"
    # listing every operation of the design's table under /api/v1
    published = {
        (method.upper(), _shape(path))
        for path, operations in schema["paths"].items()
        for method in operations
    }
    design = {
        (method, _shape("/api/v1" + path))
        for method, path in (row.split() for row in DESIGN_TABLE.strip().splitlines())
    }
    assert design - published == set()


def test_the_documented_error_shape_and_auth_schemes_are_there(db):
    schema = Client().get("/api/v1/openapi.json").json()

    security = schema["components"]["securitySchemes"]
    assert {s["type"] for s in security.values()} >= {"http", "apiKey"}
    error = schema["components"]["schemas"]["ErrorDetail"]
    assert {"code", "message", "field"} <= set(error["properties"])
    taken = schema["paths"]["/api/v1/invitations/{invitation_id}/accept"]["post"]["responses"]
    assert "409" in taken


def test_the_interactive_docs_render(db):
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "openapi.json" in response.text


def _resolve(schema: dict, node: dict) -> dict:
    """The object a schema stands for: references followed, an optional body's null set aside."""
    while "$ref" in node or "anyOf" in node:
        if "anyOf" in node:
            [node] = [option for option in node["anyOf"] if option.get("type") != "null"]
        else:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, entry in operations.items():
            yield f"{method.upper()} {path}", entry


def test_every_operation_declares_its_errors_in_the_error_shape(db):
    schema = Client().get("/api/v1/openapi.json").json()
    error = schema["components"]["schemas"]["Error"]
    assert _resolve(schema, error["properties"]["error"])["required"] == ["code", "message"]

    missing, misshapen = [], []
    for name, entry in _operations(schema):
        responses = entry["responses"]
        # Whoever needs a login may be refused one; a write refuses fields it does not read.
        wanted = {"401", "403"} if entry.get("security") else set()
        if not name.startswith("GET"):
            wanted.add("400")
        if "{" in name:
            wanted.add("404")
        missing += [f"{name} {code}" for code in sorted(wanted - set(responses))]
        for code, answer in responses.items():
            if code.startswith("4"):
                body = answer.get("content", {}).get("application/json", {}).get("schema", {})
                if body != {"$ref": "#/components/schemas/Error"} or not answer["description"]:
                    misshapen.append(f"{name} {code}")

    assert missing == [] and misshapen == []
    token = schema["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {"400", "401", "429"} <= set(token)


def test_every_request_body_refuses_fields_it_does_not_name(db):
    schema = Client().get("/api/v1/openapi.json").json()

    lax = [
        f"{name} {content_type}"
        for name, entry in _operations(schema)
        for content_type, body in entry.get("requestBody", {}).get("content", {}).items()
        if _resolve(schema, body["schema"]).get("additionalProperties") is not False
    ]

    assert lax == []
    comment = schema["paths"]["/api/v1/orders/{order_id}/comments"]["post"]["requestBody"]
    assert {"application/json", "multipart/form-data"} <= set(comment["content"])


def test_the_document_shows_the_limits_of_what_clients_send(db):
    schema = Client().get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]

    # every list's ?limit=, 1 to 200
    limits = {
        name: next(
            option
            for option in parameter["schema"].get("anyOf", [parameter["schema"]])
            if option.get("type") == "integer"
        )
        for name, entry in _operations(schema)
        for parameter in entry.get("parameters", [])
        if parameter["name"] == "limit"
    }
    assert len(limits) >= 5
    assert {(o["minimum"], o["maximum"]) for o in limits.values()} == {(1, 200)}
    # amounts and lengths as the database keeps them
    money = components["MoneyIn"]["properties"]["amount"]
    money_bounds = next(o for o in money.get("anyOf", [money]) if "minimum" in o)
    assert (money_bounds["minimum"], money_bounds["maximum"]) == (0, 9999999999.99)
    fee = components["FeeRequestIn"]["properties"]["amount"]
    fee_bounds = next(o for o in fee.get("anyOf", [fee]) if "exclusiveMinimum" in o)
    assert fee_bounds["exclusiveMinimum"] == 0
    assert components["OrderIn"]["properties"]["title"]["maxLength"] == 200
    assert components["CreditIn"]["properties"]["memo"]["maxLength"] == 300
    assert components["TokenIn"]["properties"]["name"]["maxLength"] == 100
    orders = schema["paths"]["/api/v1/orders"]["get"]["parameters"]
    since = next(p for p in orders if p["name"] == "updated_since")["schema"]
    assert {"type": "string", "format": "date-time"} in since["anyOf"]


def test_an_operation_django_ninja_throttles_declares_429():
    # given an API with one throttled operation and one without
    router = Router()
    router.get("/slow", throttle=AnonRateThrottle("1/m"), response=str)(lambda request: "")
    router.get("/fast", response=str, operation_id="fast")(lambda request: "")
    local = AtelierAPI(title="t", urls_namespace="throttle-test")
    local.add_router("", router)

    # when its document is made
    paths = local.get_openapi_schema(path_prefix="")["paths"]

    # then only the throttled one declares 429, in the error shape
    slow, fast = paths["/slow"]["get"]["responses"], paths["/fast"]["get"]["responses"]
    assert slow[429]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert 429 not in fast
