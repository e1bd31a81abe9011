"""Links to a file that work without a login for a while: what a webhook receiver downloads
final documents with. The signature names the file, so it cannot be replayed for another."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

_SALT = "atelier.documents.download"


def signed_download_url(file_id: int, *, valid_for: timedelta | None = None) -> str:
    """An absolute URL of `GET /api/v1/files/{id}?signature=…`, valid `valid_for`
    (ATELIER_DOWNLOAD_LINK_DAYS by default)."""
    days = settings.ATELIER_DOWNLOAD_LINK_DAYS if valid_for is None else None
    seconds = int(valid_for.total_seconds()) if valid_for is not None else days * 86400
    signature = signing.dumps({"file": file_id, "ttl": seconds}, salt=_SALT, compress=True)
    path = reverse("api-1:download_file", kwargs={"file_id": file_id})
    return f"{settings.ATELIER_BASE_URL}{path}?signature={signature}"


def signature_allows(file_id: int, signature: str) -> bool:
    """Whether `signature` was made for `file_id` and has not expired."""
    try:
        # The lifetime is part of the signed value; check the age against it.
        claimed = signing.loads(signature, salt=_SALT)
        signing.loads(signature, salt=_SALT, max_age=int(claimed["ttl"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return False
    return claimed.get("file") == file_id
