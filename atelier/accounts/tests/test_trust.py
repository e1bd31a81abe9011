"""Trust in accounts: failed logins are limited (pages and API share the counts), a new password
revokes API tokens, and agents must use a second factor where that is required."""

import json
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.db import connection

from atelier.accounts import throttle
from atelier.accounts.models import ApiToken
from atelier.accounts.tokens import issue_token, user_for_token
from atelier.orders.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "pw-for-tests"  # the factories' password


def _login(client, email, password, address="10.0.0.1"):
    return client.post(
        "/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=address
    )


def _token(client, email, password, address="10.0.0.1", **extra):
    body = json.dumps({"email": email, "password": password, "name": "script", **extra})
    return client.post(
        "/api/v1/auth/token", body, content_type="application/json", REMOTE_ADDR=address
    )


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


# --- failed logins ----------------------------------------------------------------------------


def test_after_five_wrong_passwords_even_the_right_one_gets_429_with_retry_after(client, settings):
    settings.ATELIER_LOGIN_FAILURES_PER_ACCOUNT = 5
    UserFactory(email="casey@example.com")
    for _ in range(5):
        assert _login(client, "casey@example.com", "wrong").status_code == 200

    response = _login(client, "casey@example.com", RIGHT)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.ATELIER_LOGIN_FAILURE_WINDOW
    assert "Too many failed attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_known_and_unknown_addresses_get_the_same_answer(client):
    UserFactory(email="casey@example.com")
    answers = []
    for email in ("casey@example.com", "nobody@example.com"):
        statuses = [_token(client, email, "wrong").status_code for _ in range(6)]
        last = _token(client, email, "wrong")
        answers.append((statuses, last.status_code, last.json()["error"]["code"]))

    assert answers[0] == answers[1] == ([401] * 5 + [429], 429, "throttled")


def test_the_api_and_the_login_page_share_the_counts(client):
    UserFactory(email="casey@example.com")
    for _ in range(3):
        _login(client, "casey@example.com", "wrong")
    for _ in range(2):
        assert _token(client, "casey@example.com", "wrong").status_code == 401

    response = _token(client, "casey@example.com", RIGHT)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"
    assert not ApiToken.objects.exists()


def test_one_address_trying_many_accounts_is_stopped(client, settings):
    settings.ATELIER_LOGIN_FAILURES_PER_ADDRESS = 20
    UserFactory(email="casey@example.com")
    for n in range(20):
        _login(client, f"guess{n}@example.com", "wrong", address="10.9.9.9")

    assert _login(client, "casey@example.com", RIGHT, address="10.9.9.9").status_code == 429
    # the account itself is not locked for its owner elsewhere
    assert _login(client, "casey@example.com", RIGHT, address="10.1.1.1").status_code == 302


def test_the_lock_lifts_when_the_window_has_passed(client, settings, monkeypatch):
    UserFactory(email="casey@example.com")
    for _ in range(5):
        _login(client, "casey@example.com", "wrong")
    assert _login(client, "casey@example.com", RIGHT).status_code == 429

    later = time.time() + settings.ATELIER_LOGIN_FAILURE_WINDOW + 1
    monkeypatch.setattr(throttle.time, "time", lambda: later)

    assert _login(client, "casey@example.com", RIGHT).status_code == 302


# --- a new password revokes API tokens --------------------------------------------------------


def test_changing_the_password_revokes_every_api_token(client):
    user = UserFactory()
    _, raw = issue_token(user, name="script")
    client.force_login(user)

    client.post(
        "/accounts/password/change/",
        {
            "oldpassword": RIGHT,
            "password1": "brand-new-secret-7",
            "password2": "brand-new-secret-7",
        },
    )

    assert user_for_token(raw) is None
    _, fresh = issue_token(user, name="after")
    assert user_for_token(fresh) == user


def test_resetting_the_password_revokes_every_api_token(client):
    user = UserFactory(email="forgetful@example.com")
    _, raw = issue_token(user, name="script")
    client.post("/accounts/password/reset/", {"email": user.email})
    link = mail.outbox[0].body.split("http://testserver", 1)[1].split()[0]
    form_url = client.get(link).url
    client.post(form_url, {"password1": "recovered-secret-9", "password2": "recovered-secret-9"})

    user.refresh_from_db()
    assert user.check_password("recovered-secret-9")
    assert user_for_token(raw) is None


def test_saving_other_fields_keeps_the_tokens():
    user = UserFactory()
    _, raw = issue_token(user, name="script")
    user.name = "Renamed"
    user.save()
    assert user_for_token(raw) == user


# --- agents and the second factor -------------------------------------------------------------


@pytest.fixture
def mfa_required(settings):
    settings.ATELIER_AGENT_MFA_REQUIRED = True


def test_an_agent_without_a_second_factor_is_sent_to_set_one_up(client, mfa_required):
    agent = UserFactory(email="agent@example.com", is_agent=True)
    assert _login(client, agent.email, RIGHT).status_code == 302

    assert client.get("/console/").url == "/accounts/2fa/totp/activate/"
    assert client.get("/admin/").url == "/accounts/2fa/totp/activate/"
    api = client.get("/api/v1/orders")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "second_factor_required"
    # setting it up asks for the password again, then a code from the new authenticator
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.url.startswith("/accounts/reauthenticate/")
    client.post(setup.url, {"password": RIGHT})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session["mfa.totp.secret"]
    client.post("/accounts/2fa/totp/activate/", {"code": _totp_code(secret)})

    assert client.get("/console/").status_code == 200
    assert client.get("/api/v1/orders").status_code == 200


def test_customers_and_experts_are_not_asked_for_a_second_factor(client, mfa_required):
    client.force_login(UserFactory(is_customer=True, is_expert=True))
    assert client.get("/").status_code == 200


def test_an_agent_signs_in_with_password_then_the_code(client, mfa_required):
    agent = UserFactory(email="agent@example.com", is_agent=True)
    secret = generate_totp_secret()
    TOTP.activate(agent, secret)

    response = _login(client, agent.email, RIGHT)
    assert response.url == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "_auth_user_id" not in client.session

    client.post("/accounts/2fa/authenticate/", {"code": _totp_code(secret)})

    assert int(client.session["_auth_user_id"]) == agent.pk
    assert client.get("/console/").status_code == 200


def test_an_agent_needs_the_code_for_an_api_token(client, mfa_required):
    agent = UserFactory(email="agent@example.com", is_agent=True)
    refused = _token(client, agent.email, RIGHT)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "second_factor_required"

    secret = generate_totp_secret()
    TOTP.activate(agent, secret)
    missing = _token(client, agent.email, RIGHT)
    assert missing.status_code == 401 and missing.json()["error"]["field"] == "code"
    wrong = _token(client, agent.email, RIGHT, code="000000")
    assert wrong.status_code == 401 and wrong.json()["error"]["field"] == "code"
    assert not ApiToken.objects.exists()

    made = _token(client, agent.email, RIGHT, code=_totp_code(secret))
    assert made.status_code == 201
    assert user_for_token(made.json()["token"]) == agent


def test_the_demo_lets_its_agent_in_without_a_second_factor_and_says_so(client, settings):
    settings.ATELIER_AGENT_MFA_REQUIRED = False
    client.force_login(UserFactory(is_agent=True))
    page = client.get("/console/")
    assert page.status_code == 200
    assert "production requires agents to" in page.text


def test_the_admin_has_no_login_form_of_its_own(client):
    UserFactory(email="agent@example.com", is_agent=True)

    response = client.post(
        "/admin/login/?next=/admin/orders/", {"username": "agent@example.com", "password": RIGHT}
    )

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/orders/"
    assert "_auth_user_id" not in client.session


def test_the_counts_live_in_the_database_every_web_process_shares(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "atelier_cache",
        }
    }
    UserFactory(email="casey@example.com")
    for _ in range(5):
        _login(client, "casey@example.com", "wrong")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM atelier_cache WHERE cache_key LIKE %s", ["%login-failures%"]
        )
        assert cursor.fetchone()[0] == 2  # the account's and the address's
    assert _login(client, "casey@example.com", RIGHT).status_code == 429
