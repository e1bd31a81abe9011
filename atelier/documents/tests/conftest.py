"""Every test here gets its own upload temp dir beside its media root (the root conftest's), so
"nothing stored, no temp file left" is checked on directories no other test writes to."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings


@pytest.fixture(autouse=True)
def _upload_temp_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "uploads"


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.is_file())


@pytest.fixture
def media_files():
    """`media_files()`: every file under MEDIA_ROOT now."""
    return lambda: files_under(django_settings.MEDIA_ROOT)


@pytest.fixture
def temp_files():
    """`temp_files()`: every file in the upload temp dir now."""
    return lambda: files_under(django_settings.FILE_UPLOAD_TEMP_DIR)


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]):
    """A multipart body with file names sent exactly as given (Django's test client would
    strip their paths first), for `client.generic("POST", url, body, content_type=...)`."""
    boundary = "atelier-test-boundary-7MA4YWxkTrZu0gW"
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for field, filename, content in files:
        header = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
        )
        parts.append(header.encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def bearer():
    """`bearer(user)`: headers for the API with a fresh token of `user`'s."""
    from atelier.accounts.tokens import issue_token

    return lambda user: {"Authorization": f"Bearer {issue_token(user, name='tests')[1]}"}
