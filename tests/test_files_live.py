"""Files against real servers and processes: uploads over real HTTP sockets, concurrent
uploads, S3 through a real moto_server process, and a gunicorn server killed with SIGKILL in
the middle of a large upload.

The database is transactional (rows commit for real, so other threads and processes see them);
every process a test starts is killed before pytest-django flushes the database.
"""

import hashlib
import http.client
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from django.core.files.storage import default_storage

from atelier.accounts.tokens import issue_token
from atelier.core import clock
from atelier.orders.files import sweep_files
from atelier.orders.models import OrderFile, Submission
from tests.processes import ROOT, child_env, free_port, wait_listening, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

MiB = 1024 * 1024
BOUNDARY = "atelier-live-boundary-3f9a"


@pytest.fixture(autouse=True)
def _upload_dirs(settings, tmp_path):
    # This test's own temp dir beside its own media root (the root conftest's), in this process
    # and in the live server's threads alike.
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "uploads"


def files_under(folder) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.is_file())


def token(user) -> str:
    return issue_token(user, name="tests/files")[1]


# --- a multipart upload sent by hand over a socket, at the pace the test chooses --------------


class RawUpload:
    """POST one file as multipart, declaring its full Content-Length up front and sending the
    bytes only when told: lets a test watch what the server does before the body is all sent."""

    def __init__(self, base_url: str, path: str, bearer: str, *, size: int, name: str, **fields):
        preamble = "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            for key, value in fields.items()
        )
        preamble += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        self.preamble = preamble.encode()
        self.epilogue = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size = size
        self.sent = 0
        where = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
        self.connection.putrequest("POST", path)
        self.connection.putheader("Authorization", f"Bearer {bearer}")
        self.connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
        length = len(self.preamble) + size + len(self.epilogue)
        self.connection.putheader("Content-Length", str(length))
        self.connection.endheaders()

    def send_preamble(self) -> None:
        self.connection.send(self.preamble)

    def send_data(self, count: int, *, block: int = MiB) -> None:
        while count > 0:
            n = min(block, count)
            self.connection.send(b"\x5a" * n)
            self.sent += n
            count -= n

    def response(self, timeout: float = 10) -> tuple[int, dict]:
        self.connection.sock.settimeout(timeout)
        reply = self.connection.getresponse()
        return reply.status, json.loads(reply.read() or b"null")

    def close(self) -> None:
        self.connection.close()


# --- refused early, over real HTTP ------------------------------------------------------------


def test_a_body_that_cannot_fit_is_refused_before_it_is_sent(world, live_server, settings):
    # given a 64 KiB limit, at most 2 files a request: no body over 2 x 64 KiB + 1 MiB can fit
    settings.ATELIER_MAX_UPLOAD_BYTES = 64 * 1024
    settings.ATELIER_MAX_UPLOAD_FILES = 2
    order = world.assigned()
    upload = RawUpload(
        live_server.url,
        f"/api/v1/orders/{order.pk}/attachments",
        token(world.customer),
        size=50 * MiB,
        name="video.mov",
    )

    # when only the headers are sent, the answer comes: nothing of the 50 MiB was needed
    status, body = upload.response()
    upload.close()

    assert status == 413
    assert body["error"]["code"] == "too_large"
    assert "64.0 KB (65,536 bytes) per file" in body["error"]["message"]
    assert not OrderFile.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []
    assert files_under(settings.FILE_UPLOAD_TEMP_DIR) == []


def test_a_file_over_the_limit_is_refused_as_soon_as_it_passes_it(world, live_server, settings):
    # given a 256 KiB limit and an upload that announces 5 MiB (it might be several files)
    settings.ATELIER_MAX_UPLOAD_BYTES = 256 * 1024
    order = world.assigned()
    upload = RawUpload(
        live_server.url,
        f"/api/v1/orders/{order.pk}/submissions",
        token(world.expert),
        size=5 * MiB,
        name="master.wav",
        titles="Master",
    )

    # when 2 MiB of the file are sent (the server reads in 1 MiB blocks), and then nothing more
    upload.send_preamble()
    upload.send_data(2 * MiB)
    status, body = upload.response()
    upload.close()

    # then the refusal came while 3 MiB were still unsent, naming the file and the limit
    assert status == 413
    assert body["error"] == {
        "code": "too_large",
        "field": "files",
        "message": "“master.wav” is larger than the limit of 256.0 KB (262,144 bytes); "
        "nothing was stored.",
    }
    assert upload.sent < upload.size
    assert not Submission.objects.exists() and not OrderFile.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []
    assert files_under(settings.FILE_UPLOAD_TEMP_DIR) == []


# --- concurrent uploads ---------------------------------------------------------------------


def test_concurrent_uploads_to_one_order_are_all_stored(world, live_server, settings):
    # given six customers' browsers... one customer, six uploads at once, each 1-2 MiB
    order = world.assigned()
    bearer = token(world.customer)
    contents = [random.randbytes(MiB + i * 100_000) for i in range(6)]
    url = f"{live_server.url}/api/v1/orders/{order.pk}/attachments"
    barrier = threading.Barrier(len(contents))
    replies: list = [None] * len(contents)

    def upload(i: int) -> None:
        barrier.wait()
        replies[i] = requests.post(
            url,
            headers={"Authorization": f"Bearer {bearer}"},
            files=[("files", (f"part-{i}.bin", contents[i]))],
            timeout=60,
        )

    # when they are all sent at the same moment
    threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(contents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every one is stored, under its own key, with the right hash and bytes
    assert [r.status_code for r in replies] == [201] * len(contents)
    rows = {row.name: row for row in OrderFile.objects.filter(order=order)}
    assert len({row.file.name for row in rows.values()}) == len(contents)
    for i, content in enumerate(contents):
        row = rows[f"part-{i}.bin"]
        assert row.sha256 == hashlib.sha256(content).hexdigest()
        assert (Path(settings.MEDIA_ROOT) / row.file.name).read_bytes() == content
    assert files_under(settings.FILE_UPLOAD_TEMP_DIR) == []


# --- S3, through a real moto_server process -----------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"

    def listening() -> bool:
        assert process.poll() is None, f"moto_server exited\n{log.read_text()}"
        try:
            return requests.get(f"{endpoint}/moto-api/", timeout=1).ok
        except requests.ConnectionError:
            return False

    try:
        wait_until(listening, timeout=30, what="moto_server to listen")
        yield endpoint
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def s3(settings, moto_endpoint):
    """Files on S3 for this test: the settings ATELIER_STORAGE=s3 makes, a fresh bucket."""
    bucket = f"atelier-{random.randrange(10**9)}"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket,
        "endpoint_url": moto_endpoint,
        "region_name": "us-east-1",
        "addressing_style": "path",
        "signature_version": "s3v4",
        "access_key": "testing",
        "secret_key": "testing",
        "file_overwrite": False,
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "atelier.documents.s3.S3BlobStorage", "OPTIONS": options},
    }
    return client, bucket


def _zip_entries(content: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {info.filename: archive.read(info) for info in archive.infolist()}


def test_s3_round_trip(world, live_server, s3, settings):
    client, bucket = s3
    order = world.assigned()
    api = f"{live_server.url}/api/v1"
    expert = {"Authorization": f"Bearer {token(world.expert)}"}
    customer = {"Authorization": f"Bearer {token(world.customer)}"}
    big = random.randbytes(9 * MiB)  # over boto3's 8 MiB multipart threshold
    small = "Lettre de motivation, été\n".encode()

    # when the expert delivers two files through the API
    reply = requests.post(
        f"{api}/orders/{order.pk}/submissions",
        headers=expert,
        files=[("files", ("voice.wav", big)), ("files", ("lettre.txt", small))],
        data={"titles": ["Voice", "Letter"]},
        timeout=60,
    )
    assert reply.status_code == 201, reply.text

    # then the objects are in the bucket under generated keys, with their SHA-256
    rows = list(OrderFile.objects.order_by("position"))
    for row, content in zip(rows, [big, small], strict=True):
        head = client.head_object(Bucket=bucket, Key=row.file.name)
        assert head["ContentLength"] == len(content)
        assert head["Metadata"]["sha256"] == row.sha256 == hashlib.sha256(content).hexdigest()
    assert (
        files_under(settings.MEDIA_ROOT) == [] and files_under(settings.FILE_UPLOAD_TEMP_DIR) == []
    )

    # and a download is a redirect to a link valid a minute, carrying the safe name
    letter = rows[1]
    download = requests.get(
        f"{api}/files/{letter.pk}", headers=customer, allow_redirects=False, timeout=30
    )
    assert download.status_code == 302
    assert download.headers["Cache-Control"] == "no-store"
    location = download.headers["Location"]
    assert location.startswith(settings.STORAGES["default"]["OPTIONS"]["endpoint_url"])
    assert "X-Amz-Expires=60" in location and "X-Amz-Signature=" in location
    fetched = requests.get(location, timeout=30)
    assert fetched.status_code == 200 and fetched.content == small
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="lettre.txt"'
    assert fetched.headers["Content-Type"] == "text/plain"
    big_download = requests.get(f"{api}/files/{rows[0].pk}", headers=customer, timeout=60)
    assert big_download.content == big  # followed the redirect
    stranger = {"Authorization": f"Bearer {token(world.stranger)}"}
    assert requests.get(f"{api}/files/{letter.pk}", headers=stranger, timeout=30).status_code == 404

    # and the zip of the final documents streams from S3 too
    archive = requests.get(
        f"{api}/orders/{order.pk}/final-documents.zip", headers=customer, timeout=60
    )
    assert archive.status_code == 200
    assert _zip_entries(archive.content) == {"voice.wav": big, "lettre.txt": small}

    # and the sweep removes an orphan (stored, never committed) once it is an hour old
    client.put_object(Bucket=bucket, Key=f"orders/{order.pk}/0123456789abcdef", Body=b"orphan")
    assert sweep_files()["orphan_files_removed"] == 0  # too young
    later = clock.now() + timedelta(hours=1, minutes=1)
    assert sweep_files(now=later) == {"upload_leftovers_removed": 0, "orphan_files_removed": 1}
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {row.file.name for row in rows}
    assert default_storage.exists(rows[0].file.name)


# --- a server killed in the middle of a large upload ---------------------------------------------


def test_a_server_killed_mid_upload_leaves_nothing_after_the_sweep(world, settings, tmp_path):
    # given the real server (gunicorn, as `make serve` runs it) on this test's database
    port = free_port()
    env = child_env(ATELIER_UPLOAD_TEMP_DIR=str(settings.FILE_UPLOAD_TEMP_DIR))
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "atelier.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                *("--workers", "1", "--worker-class", "gthread", "--threads", "4"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill takes master and worker
        )
    try:
        wait_listening(server, port, what="gunicorn", logs=log.read_text)
        order = world.assigned()
        upload = RawUpload(
            f"http://127.0.0.1:{port}",
            f"/api/v1/orders/{order.pk}/submissions",
            token(world.expert),
            size=256 * MiB,
            name="big-master.wav",
            titles="Master",
        )

        # when 24 MiB of a 256 MiB file have arrived, streaming to a temporary file...
        upload.send_preamble()
        upload.send_data(24 * MiB)
        temp = Path(settings.FILE_UPLOAD_TEMP_DIR)
        wait_until(
            lambda: sum(p.stat().st_size for p in files_under(temp)) >= 16 * MiB,
            timeout=30,
            what="the upload to stream to disk",
        )
        # ...the server is killed
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        upload.close()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)

    # then no submission or file row exists, nothing is in the media root, and the partial
    # temporary file left behind is removed by the sweep once it is an hour old
    assert not Submission.objects.exists() and not OrderFile.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []
    [leftover] = files_under(settings.FILE_UPLOAD_TEMP_DIR)
    assert 16 * MiB <= leftover.stat().st_size < 256 * MiB
    assert sweep_files()["upload_leftovers_removed"] == 0  # maybe still being written
    later = clock.now() + timedelta(hours=1, minutes=1)
    assert sweep_files(now=later) == {"upload_leftovers_removed": 1, "orphan_files_removed": 0}
    assert files_under(settings.FILE_UPLOAD_TEMP_DIR) == []
