"""S3-compatible object storage (ATELIER_STORAGE=s3), through django-storages and boto3.

Imported only when configured, so the default local setup never loads boto3.
"""

import os
from collections.abc import Iterator
from datetime import datetime

from django.core.files import File
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from .storage import StorageError
from .uploads import FileFacts

DOWNLOAD_REDIRECT_SECONDS = 60  # how long a download link works, once handed out


class _Unclosable:
    """A file for s3transfer, which may close what it is given (boto/s3transfer#80)."""

    def __init__(self, file):
        self._file = file

    def read(self, *args):
        return self._file.read(*args)

    def seek(self, *args):
        return self._file.seek(*args)

    def tell(self):
        return self._file.tell()

    def close(self):
        pass


class S3BlobStorage(S3Storage):
    """django-storages' S3 backend with checked puts, streamed reads, listing for the sweep and
    short-lived download links that carry the safe file name."""

    file_overwrite = False

    def put_blob(self, key: str, file: File, facts: FileFacts) -> None:
        name = self._normalize_name(clean_name(key))
        if self.exists(key):
            raise FileExistsError(key)
        obj = self.bucket.Object(name)
        extra = {"ContentType": facts.content_type, "Metadata": {"sha256": facts.sha256}}
        if self.default_acl:
            extra["ACL"] = self.default_acl
        # Multipart for large files (boto3 decides); from the temporary file's path when there
        # is one, so the parts are read as they are sent rather than buffered.
        path = getattr(file, "temporary_file_path", lambda: None)()
        if path and os.path.exists(path):
            obj.upload_file(path, ExtraArgs=extra, Config=self.transfer_config)
        else:
            file.seek(0)
            source = _Unclosable(getattr(file, "file", file))
            obj.upload_fileobj(source, ExtraArgs=extra, Config=self.transfer_config)
        obj.reload()  # HEAD: what S3 now holds
        if obj.content_length != facts.size or obj.metadata.get("sha256") != facts.sha256:
            obj.delete()
            raise StorageError(f"S3 holds {obj.content_length} bytes for {key}, not {facts.size}")

    def iter_blob(self, key: str, chunk_size: int) -> Iterator[bytes]:
        # S3File (storage.open) downloads the whole object before the first read; this streams.
        body = self.bucket.Object(self._normalize_name(clean_name(key))).get()["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def list_blobs(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        full = self._normalize_name(clean_name(prefix)).rstrip("/") + "/"
        location = f"{self.location.strip('/')}/" if self.location else ""
        for obj in self.bucket.objects.filter(Prefix=full):
            yield obj.key.removeprefix(location), obj.last_modified

    def presigned_url(self, key: str, *, filename: str, content_type: str) -> str:
        parameters = {
            "ResponseContentDisposition": content_disposition_header(True, filename),
            "ResponseContentType": content_type,
        }
        return self.url(key, parameters=parameters, expire=DOWNLOAD_REDIRECT_SECONDS)
