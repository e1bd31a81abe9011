"""Who is calling: a bearer token traded for an e-mail and password (stored only as a hash,
revocable), or the browser's session, which must carry the CSRF token to change anything."""

import re

import pytest
from django.test import Client

from atelier.accounts.models import ApiToken
from atelier.accounts.tokens import issue_token, revoke_token
from atelier.orders.models import Order

from .apiclient import error_of

PASSWORD = "pw-for-tests"  # the factories' password


def token_request(email: str, password: str, **extra) -> tuple[int, dict, Client]:
    response = Client().post(
        "/api/v1/auth/token",
        {"email": email, "password": password, **extra},
        content_type="application/json",
    )
    return response.status_code, response.json(), response


def test_the_right_password_gets_a_token_that_works(world):
    # when the expert trades their e-mail and password for a token
    status, body, _ = token_request("expert@example.com", PASSWORD, name="nightly sync")

    # then they get it once, and it identifies them on every other call
    assert status == 201
    assert (body["user"], body["name"], body["roles"]) == (
        "expert@example.com",
        "nightly sync",
        ["expert"],
    )
    me = Client().get("/api/v1/me", headers={"authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["email"] == "expert@example.com"


def test_the_token_is_stored_only_as_a_hash(world):
    status, body, _ = token_request("customer@example.com", PASSWORD)
    raw = body["token"]

    stored = ApiToken.objects.get(pk=body["id"])
    columns = [str(value) for value in ApiToken.objects.filter(pk=stored.pk).values()[0].values()]

    assert status == 201
    assert not any(raw in value for value in columns)
    assert raw.startswith(stored.prefix) and len(stored.prefix) < len(raw) // 2


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("expert@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("EXPERT@example.com", "Pw-For-Tests"),
    ],
)
def test_wrong_credentials_are_401_and_say_the_same_whatever_was_wrong(world, email, password):
    status, body, response = token_request(email, password)

    assert status == 401
    error = error_of(body)
    assert error["code"] == "bad_credentials"
    assert error["message"] == "The e-mail address or the password is wrong."
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not ApiToken.objects.exists()


def test_an_inactive_person_gets_no_token(world):
    world.expert.is_active = False
    world.expert.save()

    status, body, _ = token_request("expert@example.com", PASSWORD)

    assert status == 401 and error_of(body)["code"] == "bad_credentials"
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "expert@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "expert@example.com", "password": PASSWORD, "name": "  "}, "name"),
    ],
)
def test_an_incomplete_token_request_is_400_naming_the_field(world, payload, field):
    response = Client().post("/api/v1/auth/token", payload, content_type="application/json")

    assert response.status_code == 400
    assert error_of(response.json())["field"] == field
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer atl_not-a-token-we-gave",
        "Bearer ",
        "Basic ZXhwZXJ0QGV4YW1wbGUuY29tOnB3LWZvci10ZXN0cw==",
        "atl_no-scheme",
    ],
)
def test_a_bad_authorization_header_is_401(world, header):
    response = Client().get("/api/v1/me", headers={"authorization": header})

    assert response.status_code == 401
    assert error_of(response.json())["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working(world):
    # given a working token
    token, raw = issue_token(world.customer, name="script")
    headers = {"authorization": f"Bearer {raw}"}
    assert Client().get("/api/v1/me", headers=headers).status_code == 200

    # when its owner revokes it
    revoke_token(world.customer, token.pk)

    # then it is refused, while the owner's other tokens still work
    assert Client().get("/api/v1/me", headers=headers).status_code == 401
    _other, fresh = issue_token(world.customer, name="another")
    assert (
        Client().get("/api/v1/me", headers={"authorization": f"Bearer {fresh}"}).status_code == 200
    )


def test_the_token_of_a_deactivated_person_stops_working(world):
    _token, raw = issue_token(world.agent, name="console script")
    world.agent.is_active = False
    world.agent.save()

    response = Client().get("/api/v1/orders", headers={"authorization": f"Bearer {raw}"})

    assert response.status_code == 401


# --- the browser's session ----------------------------------------------------------------------


def test_the_session_reads_without_a_token(world):
    order = world.order()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.customer)

    response = browser.get(f"/api/v1/orders/{order.pk}")

    assert response.status_code == 200 and response.json()["id"] == order.pk


def test_the_session_must_send_the_csrf_token_to_change_anything(world):
    # given the customer logged in in a browser that enforces CSRF like a real one
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.customer)
    order = {"service": "resume-writing", "title": "A CV"}

    # when a page on another site makes the browser post without the CSRF token
    forged = browser.post("/api/v1/orders", order, content_type="application/json")

    # then it is refused and nothing is made
    assert forged.status_code == 403
    assert error_of(forged.json())["code"] == "forbidden"
    assert not Order.objects.exists()

    # when our own page posts with the token it was given
    page = browser.get("/accounts/profile/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    made = browser.post(
        "/api/v1/orders", order, content_type="application/json", headers={"x-csrftoken": token}
    )

    # then it works
    assert made.status_code == 201
    assert Order.objects.get().customer == world.customer


def test_a_token_caller_needs_no_csrf_token(world):
    _token, raw = issue_token(world.customer, name="script")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/v1/orders",
        {"service": "resume-writing", "title": "A CV"},
        content_type="application/json",
        headers={"authorization": f"Bearer {raw}"},
    )

    assert response.status_code == 201


def test_an_anonymous_browser_is_401_not_a_login_redirect(world):
    response = Client().get("/api/v1/orders")

    assert response.status_code == 401
    assert error_of(response.json())["code"] == "unauthenticated"
