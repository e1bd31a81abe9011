"""Answering a download, always after the caller checked the permission: streamed from storage,
never read whole, with a safe file name; on S3 a redirect to a link valid for a minute.
"Download all final documents" is one zip, streamed as it is built."""

from collections.abc import Iterator, Sequence

from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header
from zipstream import ZIP_STORED, ZipStream

from atelier.accounts.models import User
from atelier.core.errors import NotFound
from atelier.orders import access, actions, queries
from atelier.orders.models import Order, OrderFile

from .storage import download_url, read_chunks
from .uploads import sanitize_filename


def _harden(response: HttpResponse) -> HttpResponse:
    # Never rendered by the browser as a page of ours, whatever the file claims to be.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def file_response(file: OrderFile) -> HttpResponse:
    storage = file.file.storage
    url = download_url(storage, file.file.name, filename=file.name, content_type=file.content_type)
    if url is not None:
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "no-store"  # the link expires; never reuse it
        return response
    # FileResponse streams in blocks and writes Content-Disposition with both an ASCII
    # fallback and the RFC 5987 UTF-8 name, so any Unicode name survives, quoted safely.
    response = FileResponse(
        file.file.open("rb"),
        as_attachment=True,
        filename=file.name,
        content_type=file.content_type,
    )
    return _harden(response)


def zip_names(files: Sequence[OrderFile]) -> list[str]:
    """The files' display names, made unique (case-insensitively): "a.pdf", "a (2).pdf"."""
    taken: set[str] = set()
    names = []
    for file in files:
        name = sanitize_filename(file.name)
        stem, dot, extension = name.rpartition(".")
        if not dot or not stem:
            stem, extension = name, ""
        candidate, n = name, 1
        while candidate.lower() in taken:
            n += 1
            candidate = f"{stem} ({n}).{extension}" if extension else f"{stem} ({n})"
        taken.add(candidate.lower())
        names.append(candidate)
    return names


def zip_response(files: Sequence[OrderFile], *, filename: str) -> StreamingHttpResponse:
    """One zip of `files`, built while it is sent: each file is read from storage only when
    the zip reaches it, in chunks. Stored, not compressed (documents mostly are already), so
    the length is known in advance and sent as Content-Length."""
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    for file, name in zip(files, zip_names(files), strict=True):
        archive.add(_lazy_chunks(file), name, size=file.size)
    response = StreamingHttpResponse(archive, content_type="application/zip")
    response["Content-Length"] = str(len(archive))
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return _harden(response)


def _lazy_chunks(file: OrderFile) -> Iterator[bytes]:
    # A generator: nothing is opened until the zip asks for the first chunk.
    yield from read_chunks(file.file.storage, file.file.name)


def final_documents_zip(user: User, order: Order) -> StreamingHttpResponse:
    """The latest delivery `user` may see, as one zip (NotFound when there is none). For the
    customer, downloading it counts as opening the delivery, as for a single file."""
    final = queries.final_submission(user, order)
    files = [f for f in final.files.all() if access.can_download(user, f)] if final else []
    if not files:
        raise NotFound("Nothing has been delivered on this order yet.")
    actions.mark_delivery_opened(final, actor=user)
    return zip_response(files, filename=f"order-{order.pk}-final-documents.zip")
