"""Malformed requests over real HTTP get the API's JSON error with a 4xx, never a 500 or an
HTML page: what schemathesis found, pinned down (each of these once answered otherwise)."""

import pytest
import requests

pytestmark = pytest.mark.django_db(transaction=True)


def assert_api_error(response: requests.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if field:
        assert error["field"] == field


def test_multipart_without_a_boundary_is_a_bad_request(people):
    order = people.agent.post(
        "/orders",
        json={"service": "resume-writing", "customer": people.customer.email, "title": "A"},
    ).body
    # then: 400, not the 500 of Django's MultiPartParserError
    response = people.customer.http.post(
        f"{people.customer.base}/orders/{order['id']}/attachments",
        data=b"--x\r\n",
        headers={"Content-Type": "multipart/form-data"},
        timeout=30,
    )
    assert_api_error(response, 400)


def test_unknown_paths_get_the_api_404_for_any_method_and_any_character(people):
    base = people.agent.base
    # A POST from a token client, with no CSRF cookie: not Django's CSRF page.
    assert_api_error(people.agent.http.post(f"{base}/no-such-thing", json={}, timeout=30), 404)
    # A newline in the path: not Django's HTML 404.
    assert_api_error(people.agent.http.post(f"{base}/invitations/%0A/accept", timeout=30), 404)


def test_nul_in_text_is_refused_on_every_database(people, api_base):
    # PostgreSQL cannot hold NUL in text; the API refuses it up front, on SQLite too.
    token = requests.post(
        f"{api_base}/auth/token",
        json={"email": "agent@example.com\x00", "password": "pw-for-tests"},
        timeout=30,
    )
    assert_api_error(token, 400, field="email")
    ledger = people.agent.http.get(
        f"{api_base}/ledger", params={"expert": "expert@example.com\x00"}, timeout=30
    )
    assert_api_error(ledger, 400, field="expert")
    order = people.agent.post(
        "/orders",
        json={"service": "resume-writing", "customer": people.customer.email, "title": "A"},
    ).body
    assign = people.agent.http.post(
        f"{api_base}/orders/{order['id']}/assign", json={"expert": "\x00"}, timeout=30
    )
    assert_api_error(assign, 400, field="expert")
    comment = people.agent.http.post(
        f"{api_base}/orders/{order['id']}/comments", data={"body": "Hi\x00"}, timeout=30
    )
    assert_api_error(comment, 400, field="body")
    assert people.agent.get(f"/orders/{order['id']}/comments").body == []


def test_a_download_keeps_its_own_content_type_as_documented(people, api_base):
    order = people.agent.post(
        "/orders",
        json={"service": "resume-writing", "customer": people.customer.email, "title": "A"},
    ).body
    [pdf] = people.customer.post(
        f"/orders/{order['id']}/attachments", files=[("old.pdf", b"%PDF-1.4\n%%EOF\n")]
    ).body
    download = people.customer.get(f"/files/{pdf['id']}")
    assert download.status == 200
    assert download.headers["Content-Type"] == pdf["content_type"] == "application/pdf"
    document = requests.get(f"{api_base}/openapi.json", timeout=30).json()
    answer = document["paths"]["/api/v1/files/{file_id}"]["get"]["responses"]["200"]
    assert list(answer["content"]) == ["*/*"]
