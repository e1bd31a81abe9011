"""Answering a download: streamed from storage, never read whole, with a safe file name."""

from django.http import FileResponse

from atelier.orders.models import OrderFile


def file_response(file: OrderFile) -> FileResponse:
    # FileResponse streams in blocks and writes Content-Disposition with both an ASCII
    # fallback and the RFC 5987 UTF-8 name, so any Unicode name survives, quoted safely.
    response = FileResponse(
        file.file.open("rb"),
        as_attachment=True,
        filename=file.name,
        content_type=file.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
