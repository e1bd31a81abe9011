"""The upload limits, for forms that check a file's size before sending it (upload.js)."""

from django.conf import settings
from django.http import HttpRequest


def upload_limits(request: HttpRequest) -> dict:
    return {
        "max_upload_bytes": settings.ATELIER_MAX_UPLOAD_BYTES,
        "max_upload_files": settings.ATELIER_MAX_UPLOAD_FILES,
    }
