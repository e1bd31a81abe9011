"""The console's services page: every service's policy, edited by agents only."""

import pytest

from atelier.catalog.models import Service


def test_agents_see_every_policy_and_change_one(client, world):
    client.force_login(world.agent)
    listing = client.get("/console/services/")
    assert listing.status_code == 200
    assert world.service.name in listing.text and "never" not in listing.text

    page = client.get(f"/console/services/{world.service.slug}/policy/")
    assert page.status_code == 200 and 'name="auto_complete_days"' in page.text
    values = {**world.service.policy.values(), "auto_complete_days": 0, "flow": "expert_hub"}
    done = client.post(f"/console/services/{world.service.slug}/policy/", values, follow=True)
    assert "orders placed before keep theirs" in done.text
    service = Service.objects.get(pk=world.service.pk)
    assert (service.policy.auto_complete_days, service.flow) == (0, "expert_hub")
    assert "never" in done.text and "Expert hub" in done.text


def test_a_bad_value_is_shown_beside_its_field_and_changes_nothing(client, world):
    client.force_login(world.agent)
    version = world.service.policy_id
    values = {**world.service.policy.values(), "turnaround_days": 0, "flow": "writer_portal"}
    response = client.post(f"/console/services/{world.service.slug}/policy/", values)
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.text
    assert Service.objects.get(pk=world.service.pk).policy_id == version


@pytest.mark.parametrize("who", ["customer", "expert", "reviewer"])
def test_the_services_pages_are_404_for_everyone_but_agents(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get("/console/services/").status_code == 404
    url = f"/console/services/{world.service.slug}/policy/"
    assert client.post(url, {"auto_complete_days": 0}).status_code == 404
    assert Service.objects.get(pk=world.service.pk).policy.auto_complete_days == 3
