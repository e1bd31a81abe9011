"""Where the bytes of order files live: a local directory (default) or S3-compatible object
storage, chosen by ATELIER_STORAGE (settings.STORAGES["default"]).

Files are stored under generated keys, `orders/<order id>/<uuid>` (`orders/new/<uuid>` for the
documents sent with a new order, stored before the order exists); the customer's file name is
kept for display only. `put` returns only once the bytes are complete on storage (written,
synced, in place, size and hash checked), which is what lets an action store its files *before*
its transaction and commit rows that can never point at a missing or partial file. Whatever
is stored but never committed (the action refused, the process died) is an orphan that
documents/sweep.py removes after an hour.
"""

import contextlib
import hashlib
import logging
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db.models.fields.files import FieldFile

from .uploads import FileFacts

logger = logging.getLogger(__name__)

PREFIX = "orders/"
CHUNK = 1024 * 1024


class StorageError(Exception):
    """The storage did not end up holding exactly the bytes it was given."""


@dataclass(frozen=True)
class StoredBlob:
    key: str
    facts: FileFacts


class StoredFile(Protocol):
    """A file as previews, diffs and downloads read it: a row that keeps a stored blob (`file`,
    whose `.storage` and `.name` locate the bytes) with what is known about it. The apps above
    pass their own rows (an order's files); nothing here needs to know which."""

    pk: int
    file: FieldFile  # file.name is the storage key
    name: str  # the uploader's file name: shown, and given to downloads
    title: str  # what the uploader called the document, "" when nothing
    size: int
    sha256: str
    content_type: str


def new_key(folder: str | int) -> str:
    return f"{PREFIX}{folder}/{uuid.uuid4().hex}"


def put(file: File, facts: FileFacts, *, folder: str | int) -> StoredBlob:
    """Store `file` under a new key and return once it is complete and checked."""
    key = new_key(folder)
    storage = default_storage
    if hasattr(storage, "put_blob"):
        storage.put_blob(key, file, facts)
    else:  # any other Django storage: save, then check what landed
        file.seek(0)
        saved = storage.save(key, file)
        if saved != key or storage.size(saved) != facts.size:
            storage.delete(saved)
            raise StorageError(f"{key} was stored as {saved} with another size")
    return StoredBlob(key=key, facts=facts)


def discard(keys: Iterable[str]) -> None:
    """Delete stored blobs that no row will point at (best effort: the sweep catches misses)."""
    for key in keys:
        try:
            default_storage.delete(key)
        except Exception:
            logger.warning("Could not delete %s; the sweep will", key, exc_info=True)


def read_chunks(storage: Storage, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """A stored blob's bytes, streamed (never the whole object in memory or on local disk)."""
    if hasattr(storage, "iter_blob"):
        yield from storage.iter_blob(key, chunk_size)
        return
    with storage.open(key, "rb") as f:
        yield from f.chunks(chunk_size)


def list_blobs(storage: Storage) -> Iterator[tuple[str, datetime]]:
    """Every stored key under orders/, with when it was last written."""
    if hasattr(storage, "list_blobs"):
        yield from storage.list_blobs(PREFIX)
        return
    pending = [PREFIX.rstrip("/")]
    while pending:
        folder = pending.pop()
        try:
            directories, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        pending += [f"{folder}/{d}" for d in directories]
        for name in files:
            yield f"{folder}/{name}", storage.get_modified_time(f"{folder}/{name}")


def download_url(storage: Storage, key: str, *, filename: str, content_type: str) -> str | None:
    """A short-lived URL the client may fetch the blob from directly (S3), or None when the
    application streams it itself (local storage)."""
    if hasattr(storage, "presigned_url"):
        return storage.presigned_url(key, filename=filename, content_type=content_type)
    return None


# --- a local directory ------------------------------------------------------------------------


class LocalStorage(FileSystemStorage):
    """FileSystemStorage that never overwrites and never leaves a partial file under a key:
    the bytes are written (or hard-linked from the upload's temporary file, on the same
    filesystem), synced, and only then given their name, and the directory is synced."""

    def put_blob(self, key: str, file: File, facts: FileFacts) -> None:
        path = self.path(key)
        self._write(path, file, sha256=facts.sha256, size=facts.size)

    def _save(self, name, content):
        # Anything else saved through Django's API gets the same care; a taken name is
        # replaced by a free one, as Django does.
        while True:
            try:
                self._write(self.path(name), content, sha256=None, size=None)
            except FileExistsError:
                name = self.get_available_name(name)
            else:
                return str(name).replace("\\", "/")

    def _write(self, path: str, content: File, *, sha256: str | None, size: int | None) -> None:
        directory = os.path.dirname(path)
        self._makedirs(directory)
        if not _link_temporary(content, path):
            _copy(content, path, directory, sha256=sha256)
        try:
            if self.file_permissions_mode is not None:
                os.chmod(path, self.file_permissions_mode)
            os.utime(path)  # the sweep's grace period starts now, not when the upload began
            _fsync_directory(directory)
            stored = os.stat(path).st_size
            if size is not None and stored != size:
                raise StorageError(f"{path} holds {stored} bytes, not {size}")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise

    def _makedirs(self, directory: str) -> None:
        missing = []
        while not os.path.isdir(directory):
            missing.append(directory)
            directory = os.path.dirname(directory)
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder)
                if self.directory_permissions_mode is not None:
                    os.chmod(folder, self.directory_permissions_mode)
            _fsync_directory(os.path.dirname(folder))

    def list_blobs(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        root = self.path(prefix)
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                try:
                    mtime = os.stat(path).st_mtime
                except FileNotFoundError:
                    continue
                key = os.path.relpath(path, self.location).replace(os.sep, "/")
                yield key, datetime.fromtimestamp(mtime, tz=UTC)


def _link_temporary(content: File, path: str) -> bool:
    """Give an upload's temporary file its final name: a hard link is atomic, never replaces
    an existing file, and costs no copy. False when that is impossible (another filesystem,
    no hard links there, the temporary file gone), and the bytes must be copied."""
    temporary_path = getattr(content, "temporary_file_path", None)
    if temporary_path is None:
        return False
    content.file.flush()
    os.fsync(content.file.fileno())
    try:
        os.link(temporary_path(), path)
    except FileExistsError:
        raise
    except OSError:
        return False
    return True


def _copy(content: File, path: str, directory: str, *, sha256: str | None) -> None:
    """Write the bytes under a temporary name beside `path`, sync them, check their hash, then
    link them into place (never replacing an existing file)."""
    fd, temporary = tempfile.mkstemp(prefix=".incoming-", dir=directory)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            content.seek(0)
            for chunk in content.chunks(CHUNK):
                if isinstance(chunk, str):
                    chunk = chunk.encode()
                out.write(chunk)
                digest.update(chunk)
            out.flush()
            os.fsync(out.fileno())
        if sha256 is not None and digest.hexdigest() != sha256:
            raise StorageError(f"The bytes written to {path} do not have the expected SHA-256")
        os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _fsync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
