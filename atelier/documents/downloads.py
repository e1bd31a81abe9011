"""Answering a download, always after the caller checked the permission: streamed from storage,
never read whole, with a safe file name; on S3 a redirect to a link valid for a minute.
Several files are one zip, streamed as it is built ("download all final documents")."""

from collections.abc import Iterator, Sequence

from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header
from zipstream import ZIP_STORED, ZipStream

from .storage import StoredFile, download_url, read_chunks
from .uploads import sanitize_filename


def _harden(response: HttpResponse) -> HttpResponse:
    # Never rendered by the browser as a page of ours, whatever the file claims to be.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def file_response(file: StoredFile) -> HttpResponse:
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


def zip_names(files: Sequence[StoredFile]) -> list[str]:
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


def zip_response(files: Sequence[StoredFile], *, filename: str) -> StreamingHttpResponse:
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


def _lazy_chunks(file: StoredFile) -> Iterator[bytes]:
    # A generator: nothing is opened until the zip asks for the first chunk.
    yield from read_chunks(file.file.storage, file.file.name)
