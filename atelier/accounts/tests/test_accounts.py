"""People: e-mail login, several roles at once, and the account pages."""

import re

import pytest
from django.core import mail

from atelier.accounts.models import User
from atelier.orders.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_logs_in_with_email_in_any_case(client):
    UserFactory(email="casey@example.com", is_customer=True)
    response = client.post(
        "/accounts/login/", {"login": "Casey@Example.COM", "password": "pw-for-tests"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(email="casey@example.com")
    response = client.post("/accounts/login/", {"login": "casey@example.com", "password": "no"})
    assert response.status_code == 200
    assert "password you specified are not correct" in response.text
    assert client.get("/").status_code == 302  # still logged out


def test_email_is_unique_and_stored_lower_case():
    user = User.objects.create_user("Pat@Example.com", "pw")
    assert user.email == "pat@example.com"
    with pytest.raises(Exception):  # noqa: B017 - the database's unique constraint
        User.objects.create_user("pat@example.com", "pw")


def test_one_person_may_hold_several_roles():
    user = UserFactory(is_customer=True, is_expert=True, is_reviewer=True)
    assert user.roles == ["customer", "expert", "reviewer"]
    assert not user.is_staff
    agent = UserFactory(is_agent=True)
    assert agent.is_staff and agent.has_perm("orders.change_order")


def test_customer_created_without_password_cannot_log_in(client):
    user = User.objects.create_user("nopass@example.com")
    assert not user.has_usable_password()
    response = client.post("/accounts/login/", {"login": user.email, "password": "x"})
    assert response.status_code == 200


def test_logout_is_a_post(client):
    client.force_login(UserFactory())
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "pw-for-tests",
            "password1": "brand-new-secret-7",
            "password2": "brand-new-secret-7",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-secret-7")


def test_password_reset_by_email(client):
    user = UserFactory(email="forgetful@example.com")
    response = client.post("/accounts/password/reset/", {"email": "forgetful@example.com"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["forgetful@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body).group(1)

    form_url = client.get(link).url  # the key moves into the session
    response = client.post(
        form_url, {"password1": "recovered-secret-9", "password2": "recovered-secret-9"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("recovered-secret-9")


def test_login_required_pages_redirect_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
