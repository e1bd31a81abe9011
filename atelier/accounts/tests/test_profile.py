"""The profile page: name and time zone; every time on the site is then shown in that zone,
with the zone named."""

from datetime import UTC, datetime

from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.notifications.outbox import notify

WINTER_NOON_UTC = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _news_at(user, moment: datetime) -> None:
    with clock.frozen_at(moment):
        notify("reopened", [user], reason="Agent reopened it")


def test_profile_shows_email_read_only_and_the_platform_default(world, client):
    client.force_login(world.customer)

    page = client.get("/accounts/profile/").text

    assert "customer@example.com" in page
    assert 'name="email"' not in page
    assert '<option value="" selected>Platform default (America/New_York)</option>' in page
    assert '<option value="Europe/Paris">Europe/Paris</option>' in page
    assert 'href="/accounts/password/change/"' in page


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    assert client.get("/accounts/profile/").status_code == 302


def test_profile_saves_name_and_zone(world, client):
    client.force_login(world.customer)

    response = client.post(
        "/accounts/profile/", {"name": "Casey Customer", "time_zone": "Asia/Tokyo"}, follow=True
    )

    assert "Your profile is saved." in response.text
    world.customer.refresh_from_db()
    assert (world.customer.name, world.customer.time_zone) == ("Casey Customer", "Asia/Tokyo")
    assert '<option value="Asia/Tokyo" selected>' in response.text


def test_profile_refuses_an_unknown_zone_beside_the_field(world, client):
    world.customer.time_zone = "Europe/Paris"
    world.customer.save()
    client.force_login(world.customer)

    response = client.post("/accounts/profile/", {"name": "Casey", "time_zone": "Mars/Olympus"})

    assert response.status_code == 200
    assert 'id="id_time_zone_error"' in response.text
    assert "“Mars/Olympus” is not a time zone we know." in response.text
    world.customer.refresh_from_db()
    assert world.customer.time_zone == "Europe/Paris"
    assert world.customer.name != "Casey"


def test_blank_zone_means_the_platform_zone(world, client):
    world.customer.time_zone = "Europe/Paris"
    world.customer.save()
    client.force_login(world.customer)

    client.post("/accounts/profile/", {"name": "Casey", "time_zone": ""})

    world.customer.refresh_from_db()
    assert world.customer.time_zone == ""


def test_times_are_shown_in_the_zone_the_viewer_chose(world, client):
    # given a notification from a known moment, read in the platform's zone
    _news_at(world.customer, WINTER_NOON_UTC)
    client.force_login(world.customer)
    assert "Thu 15 Jan 2026, 07:00 EST" in client.get("/inbox/").text

    # when the customer chooses Paris, then Tokyo
    client.post("/accounts/profile/", {"name": "Casey", "time_zone": "Europe/Paris"})
    in_paris = client.get("/inbox/").text
    client.post("/accounts/profile/", {"name": "Casey", "time_zone": "Asia/Tokyo"})
    in_tokyo = client.get("/inbox/").text

    # then the same moment is shown in each zone, named
    assert "Thu 15 Jan 2026, 13:00 CET" in in_paris and "07:00 EST" not in in_paris
    assert "Thu 15 Jan 2026, 21:00 JST" in in_tokyo


def test_profile_chooses_which_events_email_me(client, world):
    # given every event ticked by default
    client.force_login(world.expert)
    page = client.get("/accounts/profile/")
    assert page.text.count('name="email_events"') == len(Notification.Event.values)
    assert page.text.count("checked") == len(Notification.Event.values)

    # when the expert unticks comments
    chosen = [event for event in Notification.Event.values if event != "comment_posted"]
    response = client.post(
        "/accounts/profile/", {"name": "Erin", "time_zone": "", "email_events": chosen}
    )

    # then comments stay in the inbox only
    assert response.status_code == 302
    world.expert.refresh_from_db()
    assert world.expert.email_muted == ["comment_posted"]
    assert not world.expert.wants_email("comment_posted") and world.expert.wants_email("assigned")
