"""Reading requests: django-ninja's parser, plus one rule. PostgreSQL cannot hold NUL (U+0000)
in text, and no e-mail, status or message ever means one: input carrying it is refused with a
400 before it reaches a query, the same on SQLite as on PostgreSQL."""

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from atelier.core.errors import InvalidInput


def _refuse_nul(value: Any, field: str) -> None:
    if isinstance(value, UploadedFile):
        value = value.name or ""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput("Text may not contain NUL (U+0000).", field=field or None)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, field)
            _refuse_nul(item, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item, field)


class TextParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        _refuse_nul(data, "")  # ninja wraps this in an HttpError; errors.py unwraps it
        return data

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        _refuse_nul(result, "")
        return result
