"""API tokens on the profile page: made with a name, shown once, stored hashed, revoked after a
confirmation; only their owner sees or revokes them."""

import re

from django.test import Client

from atelier.accounts.models import ApiToken
from atelier.accounts.tokens import issue_token, user_for_token


def _raw_token(page: str) -> str:
    return re.search(r'<code class="token" id="new-token">([^<]+)</code>', page).group(1)


def test_a_new_token_is_shown_once_and_stored_only_as_a_hash(world, client):
    client.force_login(world.customer)

    page = client.post("/accounts/tokens/", {"name": "storefront"}).text
    raw = _raw_token(page)

    token = ApiToken.objects.get(user=world.customer)
    assert token.name == "storefront"
    assert raw not in {token.digest, token.prefix} and token.digest != raw
    assert raw.startswith(token.prefix)
    assert user_for_token(raw) == world.customer
    again = client.get("/accounts/profile/").text
    assert raw not in again and "storefront" in again and f"{token.prefix}…" in again


def test_a_token_without_a_name_is_refused_and_nothing_is_made(world, client):
    client.force_login(world.customer)

    response = client.post("/accounts/tokens/", {"name": "  "})

    assert response.status_code == 400
    assert "This field is required." in response.text
    assert not ApiToken.objects.exists()


def test_revoking_asks_first_then_the_token_stops_working(world, client):
    token, raw = issue_token(world.customer, name="script")
    client.force_login(world.customer)

    confirm = client.get(f"/accounts/tokens/{token.pk}/revoke/")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    assert user_for_token(raw) == world.customer  # looking at the question changed nothing

    client.post(f"/accounts/tokens/{token.pk}/revoke/")

    assert user_for_token(raw) is None
    response = Client().get("/api/v1/me", headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_someone_elses_token_cannot_be_revoked(world, client):
    token, raw = issue_token(world.customer, name="nightly-report")
    client.force_login(world.stranger)

    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert user_for_token(raw) == world.customer
    assert "nightly-report" not in client.get("/accounts/profile/").text


def test_a_token_of_a_deactivated_person_does_not_work(world):
    _token, raw = issue_token(world.customer, name="script")
    world.customer.is_active = False
    world.customer.save()

    assert user_for_token(raw) is None
