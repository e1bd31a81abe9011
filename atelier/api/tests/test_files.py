"""`GET /files/{id}`: the exact bytes, streamed, with a Content-Disposition no file name can
break, to whoever may see the file (the customer only once QC let the delivery through); or,
without logging in, with a signed link made for that very file."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from atelier.documents.links import signed_download_url
from atelier.orders import actions
from atelier.orders.actions import Upload
from atelier.orders.models import Order
from atelier.orders.tests.factories import doc

Flow = Order.Flow
BYTES = bytes(range(256)) * 40 + b"\r\n\x00 the end"  # every byte value, more than one block


def attach(world, order, name: str, content: bytes = BYTES):
    [file] = actions.add_attachments(
        order, actor=world.customer, files=[Upload(ContentFile(content, name=name))]
    )
    return file


def test_a_download_is_the_exact_bytes_streamed(api, world):
    # given a binary document on an order
    order = world.assigned()
    file = attach(world, order, "scan.bin")

    # when the expert downloads it
    response = api.as_(world.expert).call("GET", f"/files/{file.pk}")

    # then they get exactly those bytes, streamed, as an attachment never rendered as a page
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == BYTES
    assert response["Content-Disposition"] == 'attachment; filename="scan.bin"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ('my "final" cv.txt', 'attachment; filename="my \\"final\\" cv.txt"'),
        ("cv; filename=evil.exe", 'attachment; filename="cv; filename=evil.exe"'),
        ("résumé «final».txt", "attachment; filename*=utf-8''" + quote("résumé «final».txt")),
        ("履歴書.txt", "attachment; filename*=utf-8''" + quote("履歴書.txt")),
        ("evil\r\nSet-Cookie: a=b.txt", 'attachment; filename="evilSet-Cookie: a=b.txt"'),
    ],
    ids=["quotes", "parameter", "accents", "cjk", "crlf"],
)
def test_any_file_name_comes_back_safely_quoted(api, world, name, disposition):
    # given a document whose name has quotes, Unicode or line breaks
    order = world.assigned()
    file = attach(world, order, name)

    # when the customer downloads it
    response = api.as_(world.customer).call("GET", f"/files/{file.pk}")

    # then the header carries the name quoted or encoded, on one line, and nothing more
    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition
    assert "Set-Cookie" not in response.headers and not response.cookies
    response.close()


def test_a_stranger_gets_404_as_for_a_file_that_does_not_exist(api, world):
    order = world.assigned()
    file = attach(world, order, "cv.txt")

    status, body = api.as_(world.stranger).get(f"/files/{file.pk}")
    missing = api.as_(world.stranger).get(f"/files/{file.pk + 1000}")

    assert status == 404 and body == missing[1]


def test_the_customer_downloads_a_delivery_only_after_qc_and_that_opens_it(api, world):
    # given a draft waiting in QC
    order = world.assigned(Flow.MARKETPLACE)
    draft = world.submit(order)
    file = draft.files.get()
    customer = api.as_(world.customer)

    # then the customer cannot download it yet, though the reviewer can
    assert customer.get(f"/files/{file.pk}")[0] == 404
    assert api.as_(world.reviewer).get(f"/files/{file.pk}") == (200, b"Resume version 1\n")
    draft.refresh_from_db()
    assert draft.customer_opened_at is None

    # when QC approves it, the customer downloads it, and that counts as opening it
    world.approve(draft)
    assert customer.get(f"/files/{file.pk}") == (200, b"Resume version 1\n")
    draft.refresh_from_db()
    assert draft.customer_opened_at is not None


def test_anonymous_without_a_signature_is_401(api, world):
    file = attach(world, world.order(), "cv.txt")

    response = api.anonymous.call("GET", f"/files/{file.pk}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- signed links ---------------------------------------------------------------------------


def path_of(url: str) -> str:
    assert url.startswith("http://testserver/api/v1/files/")
    return url.removeprefix("http://testserver")


def test_a_signed_link_downloads_without_logging_in(world):
    file = attach(world, world.order(), "final.bin")

    response = Client().get(path_of(signed_download_url(file.pk)))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BYTES


def test_a_signature_made_for_one_file_opens_no_other(world):
    # given two files, and a signed link to the first
    order = world.order()
    first, second = attach(world, order, "a.txt"), attach(world, order, "b.txt", b"secret")
    signature = path_of(signed_download_url(first.pk)).split("?signature=")[1]

    # when someone uses its signature for the second
    response = Client().get(f"/api/v1/files/{second.pk}", {"signature": signature})

    # then it is not found, as a link that never existed
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "link_invalid"
    assert b"secret" not in response.content


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),
        lambda s: "x" + s,
        lambda s: s.split(":")[0],
        lambda s: "",
    ],
    ids=["last-char", "prefix", "no-mac", "empty"],
)
def test_a_tampered_signature_is_404(world, tamper):
    file = attach(world, world.order(), "a.txt")
    signature = path_of(signed_download_url(file.pk)).split("?signature=")[1]

    response = Client().get(f"/api/v1/files/{file.pk}", {"signature": tamper(signature)})

    # an empty signature is no signature: then it is a login that is missing
    assert response.status_code == (401 if tamper(signature) == "" else 404)


def test_an_expired_signed_link_is_404(world):
    file = attach(world, world.order(), "a.txt")
    url = signed_download_url(file.pk, valid_for=timedelta(seconds=-10))

    response = Client().get(path_of(url))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "link_invalid"


def test_a_signed_link_to_a_file_since_removed_is_404(world):
    url = signed_download_url(987654)

    assert Client().get(path_of(url)).status_code == 404


def test_the_customers_documents_are_theirs_and_the_experts(api, world):
    # given a customer document on an order the expert works on, and one on an order they don't
    working = world.assigned()
    mine = attach(world, working, "cv.txt", b"mine")
    elsewhere = world.order()
    [other] = actions.add_attachments(elsewhere, actor=world.customer, files=[doc("x.txt")])

    # then the expert downloads the first, and gets 404 for the other
    assert api.as_(world.expert).get(f"/files/{mine.pk}") == (200, b"mine")
    assert api.as_(world.expert).get(f"/files/{other.pk}")[0] == 404
