"""Local storage and staging: an action stores its files before its transaction, complete and
checked; a refusal deletes what it stored; nothing is ever overwritten; the bytes of a streamed
upload are linked into place, not copied."""

import hashlib
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from atelier.core.errors import InvalidInput, NotFound
from atelier.documents import storage
from atelier.documents.storage import LocalStorage, StorageError
from atelier.documents.uploads import FileFacts, StreamingUploadHandler, inspect_upload
from atelier.orders import actions
from atelier.orders.models import OrderFile
from atelier.orders.tests.factories import doc


def _facts(content: bytes, name: str = "a.txt") -> FileFacts:
    return inspect_upload(ContentFile(content, name=name))


def test_every_row_points_at_a_complete_file(world):
    order = world.assigned()
    files = [doc("resume.txt", "Resume\n" * 1000, "Resume"), doc("letter.txt", "Dear…\n", "Letter")]

    actions.submit_work(order, actor=world.expert, files=files)

    rows = list(OrderFile.objects.order_by("position"))
    assert [r.name for r in rows] == ["resume.txt", "letter.txt"]
    for row in rows:
        data = (django_settings.MEDIA_ROOT / row.file.name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (row.size, row.sha256)


def test_a_stranger_s_upload_writes_nothing(world, media_files):
    order = world.assigned()

    with pytest.raises(NotFound):
        actions.submit_work(order, actor=world.stranger, files=[doc(title="Mine")])

    assert media_files() == []


def test_a_refusal_after_the_files_are_stored_deletes_them(world, media_files):
    # given a delivered order: the customer may ask for a revision, with files
    order = world.delivered()
    before = media_files()

    # when the request is refused inside the action's transaction (no comments), after the
    # file was stored
    with pytest.raises(InvalidInput, match="Say what should change"):
        actions.request_revision(
            order, actor=world.customer, comments=" ", files=[doc("notes.txt", "Fix it")]
        )

    # then the stored file is gone at once, and no row points anywhere
    assert media_files() == before
    assert not OrderFile.objects.filter(revision_request__isnull=False).exists()


def test_a_streamed_upload_is_linked_into_place_not_copied(settings, tmp_path):
    settings.ATELIER_MAX_UPLOAD_BYTES = 10_000
    handler = StreamingUploadHandler()
    handler.handle_raw_input(None, {}, 100, b"b")
    handler.new_file("files", "a.txt", "text/plain", None)
    handler.receive_data_chunk(b"some bytes\n", 0)
    upload = handler.file_complete(11)
    facts = inspect_upload(upload)

    blob = storage.put(upload, facts, folder=7)

    stored = django_settings.MEDIA_ROOT / blob.key
    assert os.stat(stored).st_ino == os.stat(upload.temporary_file_path()).st_ino
    upload.close()  # the request ends: its temporary name goes, the stored file stays
    assert stored.read_bytes() == b"some bytes\n"
    assert oct(stored.stat().st_mode & 0o777) == oct(settings.FILE_UPLOAD_PERMISSIONS)


def test_a_copy_is_checked_against_the_expected_hash(media_files):
    facts = _facts(b"what we were told")

    with pytest.raises(StorageError, match="SHA-256"):
        storage.put(ContentFile(b"what we were sent", name="a.txt"), facts, folder=1)

    assert media_files() == []  # neither the key nor the temporary copy


def test_an_existing_key_is_never_overwritten(media_files):
    local = LocalStorage()
    local.put_blob("orders/1/abc", ContentFile(b"first"), _facts(b"first"))

    with pytest.raises(FileExistsError):
        local.put_blob("orders/1/abc", ContentFile(b"second"), _facts(b"second"))

    assert [p.read_bytes() for p in media_files()] == [b"first"]
    # Django's own save API picks a free name instead
    name = default_storage.save("orders/1/abc", ContentFile(b"third"))
    assert name != "orders/1/abc" and default_storage.open(name).read() == b"third"


def test_discard_is_best_effort():
    blob = storage.put(ContentFile(b"x", name="x"), _facts(b"x"), folder=3)

    storage.discard([blob.key, "orders/3/never-stored"])
    storage.discard([blob.key])  # again: nothing to do, no error

    assert not default_storage.exists(blob.key)


def _storage_setting(tmp_path, **env: str) -> subprocess.CompletedProcess:
    show = "from django.conf import settings; print(settings.STORAGES['default'])"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATELIER_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=django_settings.BASE_DIR,
        env={**clean, "ATELIER_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_storage_is_chosen_by_the_environment(tmp_path):
    local = _storage_setting(tmp_path)
    assert "atelier.documents.storage.LocalStorage" in local.stdout, local.stderr

    s3 = _storage_setting(
        tmp_path,
        ATELIER_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="files",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert "atelier.documents.s3.S3BlobStorage" in s3.stdout, s3.stderr
    assert "'bucket_name': 'files'" in s3.stdout
    assert "'endpoint_url': 'http://127.0.0.1:9000'" in s3.stdout

    missing = _storage_setting(tmp_path, ATELIER_STORAGE="s3")
    assert missing.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME must be set when ATELIER_STORAGE=s3" in missing.stderr
