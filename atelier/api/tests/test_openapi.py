"""The OpenAPI document is valid, public, and lists every operation of DESIGN.md's table; the
interactive docs page renders."""

import re

from django.test import Client
from openapi_spec_validator import validate

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
