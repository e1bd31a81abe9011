"""Downloads only after the permission check (a stranger gets 404, on the pages and the API),
streamed with a safe Content-Disposition; "download all final documents" is one zip of the
latest delivery the viewer may see."""

import io
import zipfile

import pytest
from django.urls import reverse

from atelier.orders import actions
from atelier.orders.models import Order
from atelier.orders.tests.factories import doc


def _zip_entries(response) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return {info.filename: archive.read(info) for info in archive.infolist()}


@pytest.fixture
def delivered_twice(world):
    """A delivered order whose revision holds three files, two of them called the same."""
    order = world.delivered()
    actions.request_revision(order, actor=world.customer, comments="More, please.")
    actions.submit_work(
        order,
        actor=world.expert,
        files=[
            doc("Résumé.txt", "Resume v2\n", "Resume"),
            doc("résumé.txt", "Resume v2, short\n", "Short resume"),
            doc("letter.txt", "Dear…\n", "Letter"),
        ],
    )
    order.refresh_from_db()
    return order


def test_a_stranger_cannot_download_a_file(world, client, bearer):
    order = world.delivered()
    file = order.files.get()
    client.force_login(world.stranger)

    assert client.get(reverse("file-download", args=[file.pk])).status_code == 404
    response = client.get(f"/api/v1/files/{file.pk}", headers=bearer(world.stranger))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_download_streams_with_a_safe_name(world, client):
    order = world.assigned()
    actions.submit_work(
        order, actor=world.expert, files=[doc('CV "final"; v2 履歴書.txt', "Words\n", "CV")]
    )
    file = order.files.get()
    client.force_login(world.customer)

    response = client.get(reverse("file-download", args=[file.pk]))

    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == b"Words\n"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert "%E5%B1%A5%E6%AD%B4%E6%9B%B8.txt" in disposition and '"' not in disposition
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_final_documents_come_as_one_zip(world, client, bearer, delivered_twice):
    order = delivered_twice
    client.force_login(world.customer)

    response = client.get(reverse("order-final-zip", args=[order.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="order-{order.pk}-final-documents.zip"'
    )
    entries = _zip_entries(response)
    # the latest delivery only, each name once (case-insensitively)
    assert entries == {
        "Résumé.txt": b"Resume v2\n",
        "résumé (2).txt": b"Resume v2, short\n",
        "letter.txt": "Dear…\n".encode(),
    }
    assert int(response["Content-Length"]) > sum(len(v) for v in entries.values())
    # the same from the API, for the expert
    api = client.get(f"/api/v1/orders/{order.pk}/final-documents.zip", headers=bearer(world.expert))
    assert api.status_code == 200 and _zip_entries(api) == entries


def test_downloading_the_zip_counts_as_opening_the_delivery(world, client, delivered_twice):
    latest = delivered_twice.submissions.order_by("-number").first()
    assert latest.customer_opened_at is None
    client.force_login(world.customer)

    client.get(reverse("order-final-zip", args=[delivered_twice.pk]))

    latest.refresh_from_db()
    assert latest.customer_opened_at is not None


def test_the_customer_s_zip_leaves_out_a_delivery_still_in_qc(world, client):
    order = world.delivered(Order.Flow.MARKETPLACE)  # QC approved the first submission
    actions.request_revision(order, actor=world.customer, comments="Shorter.")
    world.submit(order, n=2)  # waiting in QC
    client.force_login(world.customer)

    entries = _zip_entries(client.get(reverse("order-final-zip", args=[order.pk])))

    assert entries == {"resume-v1.txt": b"Resume version 1\n"}


def test_no_zip_for_a_stranger_or_before_any_delivery(world, client, bearer, delivered_twice):
    client.force_login(world.stranger)
    assert client.get(reverse("order-final-zip", args=[delivered_twice.pk])).status_code == 404
    api = client.get(
        f"/api/v1/orders/{delivered_twice.pk}/final-documents.zip",
        headers=bearer(world.stranger),
    )
    assert api.status_code == 404

    waiting = world.assigned()
    client.force_login(world.customer)
    assert client.get(reverse("order-final-zip", args=[waiting.pk])).status_code == 404
    api = client.get(
        f"/api/v1/orders/{waiting.pk}/final-documents.zip", headers=bearer(world.customer)
    )
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_the_final_documents_page_links_the_zip(world, client, delivered_twice):
    client.force_login(world.customer)

    page = client.get(reverse("order-final", args=[delivered_twice.pk])).content.decode()

    assert reverse("order-final-zip", args=[delivered_twice.pk]) in page
