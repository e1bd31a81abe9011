"""Uploads through the real request path (Django's multipart parser and our streaming handler):
empty files and files over the limit are refused with nothing stored and no temporary file
left; names are sanitised for display and the bytes stored under generated keys; the SHA-256
and the sniffed content type are recorded, whatever the client claims."""

import hashlib
import re

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from atelier.core.errors import TooLarge
from atelier.documents.uploads import (
    StreamingUploadHandler,
    TooManyUploads,
    UploadTooLarge,
    inspect_upload,
)
from atelier.orders.models import OrderFile, Submission

from .conftest import multipart

KEY = re.compile(r"orders/(\d+)/[0-9a-f]{32}")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def _attach(client, order, headers, files, fields=()):
    body, content_type = multipart(list(fields), [("files", n, c) for n, c in files])
    url = f"/api/v1/orders/{order.pk}/attachments"
    return client.generic("POST", url, body, content_type=content_type, headers=headers)


# --- empty files ------------------------------------------------------------------------------


def test_an_empty_file_is_refused_by_the_api_and_nothing_is_stored(
    world, client, bearer, media_files, temp_files
):
    order = world.assigned()

    response = _attach(
        client, order, bearer(world.customer), [("notes.txt", b"x"), ("empty.txt", b"")]
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("empty_file", "files")
    assert "“empty.txt” is empty" in error["message"]
    assert not OrderFile.objects.exists()
    assert media_files() == [] and temp_files() == []


def test_an_empty_file_is_refused_by_the_submission_form(world, client, media_files, temp_files):
    order = world.assigned()
    client.force_login(world.expert)

    response = client.post(
        reverse("submission-create", args=[order.pk]),
        {"files": [SimpleUploadedFile("draft.docx", b"")], "titles": ["Draft"]},
    )

    assert response.status_code == 400
    assert "“draft.docx” is empty." in response.content.decode()
    assert not Submission.objects.exists()
    assert media_files() == [] and temp_files() == []


# --- over the limit ---------------------------------------------------------------------------


def test_a_document_over_the_limit_gets_a_413_page_naming_it(
    world, client, settings, media_files, temp_files
):
    # given a 1 KiB limit and a customer placing an order with a 3 KiB document
    settings.ATELIER_MAX_UPLOAD_BYTES = 1024
    client.force_login(world.customer)

    response = client.post(
        reverse("order-new"),
        {
            "service": world.service.pk,
            "title": "A resume",
            "documents": [SimpleUploadedFile("old-resume.pdf", b"%PDF-" + b"x" * 3072)],
        },
    )

    # then a page says which file and what the limit is; no order, no bytes, no temp file
    assert response.status_code == 413
    page = response.content.decode()
    assert "“old-resume.pdf” is larger than the limit of 1.0 KB (1,024 bytes)" in page
    assert world.customer.orders.count() == 0
    assert media_files() == [] and temp_files() == []


def test_the_api_refuses_a_file_over_the_limit_with_413_json(
    world, client, settings, bearer, media_files, temp_files
):
    settings.ATELIER_MAX_UPLOAD_BYTES = 1024
    order = world.assigned()

    response = _attach(
        client, order, bearer(world.customer), [("ok.txt", b"fine"), ("big.bin", b"x" * 1025)]
    )

    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("too_large", "files")
    assert "“big.bin” is larger than the limit" in error["message"]
    assert not OrderFile.objects.exists()
    assert media_files() == [] and temp_files() == []


def test_too_many_files_at_once_are_refused(world, client, settings, bearer, temp_files):
    settings.ATELIER_MAX_UPLOAD_FILES = 2
    order = world.assigned()

    response = _attach(client, order, bearer(world.customer), [("a.txt", b"a")] * 3)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_files"
    assert not OrderFile.objects.exists() and temp_files() == []


def _handler(settings, limit: int) -> StreamingUploadHandler:
    settings.ATELIER_MAX_UPLOAD_BYTES = limit
    return StreamingUploadHandler()


def test_the_handler_stops_at_the_first_byte_over_the_limit(settings, temp_files):
    handler = _handler(settings, 1000)
    handler.handle_raw_input(None, {}, 5000, b"b")
    handler.new_file("files", "big.bin", "text/plain", None)
    handler.receive_data_chunk(b"x" * 600, 0)
    assert len(temp_files()) == 1  # streaming to disk

    with pytest.raises(UploadTooLarge, match=r"big\.bin. is larger than the limit"):
        handler.receive_data_chunk(b"x" * 401, 600)
    assert temp_files() == []  # removed at once


def test_a_body_that_cannot_fit_is_refused_before_reading_it(settings):
    # each file may be up to the limit, and a request holds at most ATELIER_MAX_UPLOAD_FILES
    settings.ATELIER_MAX_UPLOAD_FILES = 3
    handler = _handler(settings, 1000)
    handler.handle_raw_input(None, {}, 3000 + 1024 * 1024, b"b")  # may fit: reading goes on

    with pytest.raises(TooLarge, match="per file"):
        _handler(settings, 1000).handle_raw_input(None, {}, 3001 + 1024 * 1024, b"b")


def test_the_handler_counts_the_files(settings):
    settings.ATELIER_MAX_UPLOAD_FILES = 1
    handler = _handler(settings, 1000)
    handler.handle_raw_input(None, {}, 100, b"b")
    handler.new_file("files", "a.txt", "text/plain", None)
    with pytest.raises(TooManyUploads):
        handler.new_file("files", "b.txt", "text/plain", None)


# --- names, keys and facts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("tab\there\x07bell.txt", "tabherebell.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override tricks
        ("CON.txt", "_CON.txt"),
        ("lpt1", "_lpt1"),
        (" ..hidden. ", "hidden"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
        ("Résumé 履歴書 📄.docx", "Résumé 履歴書 📄.docx"),
        ('My "best" cv; final.txt', 'My "best" cv; final.txt'),
    ],
)
def test_names_are_sanitised_and_the_bytes_stored_under_a_generated_key(
    world, client, bearer, sent, kept
):
    order = world.assigned()
    content = f"the file sent as {sent!r}".encode()

    response = _attach(client, order, bearer(world.customer), [(sent, content)])

    assert response.status_code == 201, response.content
    [row] = OrderFile.objects.all()
    assert row.name == kept and response.json()[0]["name"] == kept
    assert KEY.fullmatch(row.file.name) and KEY.fullmatch(row.file.name)[1] == str(order.pk)
    stored = django_settings.MEDIA_ROOT / row.file.name
    assert stored.read_bytes() == content


def test_the_sha256_and_the_sniffed_type_are_recorded(world, client, bearer):
    # a PNG sent as notes.txt with Content-Type text/plain
    order = world.assigned()

    response = _attach(client, order, bearer(world.customer), [("notes.txt", PNG)])

    assert response.status_code == 201
    [row] = OrderFile.objects.all()
    assert row.content_type == "image/png"
    assert row.sha256 == hashlib.sha256(PNG).hexdigest() == response.json()[0]["sha256"]
    assert row.size == len(PNG)


def test_facts_learnt_while_streaming_are_not_read_again(settings, temp_files):
    handler = _handler(settings, 10_000)
    handler.handle_raw_input(None, {}, 100, b"b")
    handler.new_file("files", "a.txt", "text/plain", None)
    handler.receive_data_chunk(b"hello ", 0)
    handler.receive_data_chunk(b"world\n", 6)
    upload = handler.file_complete(12)
    # overwrite the bytes on disk behind the upload's back: inspect_upload must not look
    [path] = temp_files()
    path.write_bytes(b"HELLO WORLD\n")

    facts = inspect_upload(upload)

    assert facts.sha256 == hashlib.sha256(b"hello world\n").hexdigest()
    assert (facts.size, facts.content_type, facts.name) == (12, "text/plain", "a.txt")
    upload.close()
    assert temp_files() == []
