"""URLs of order files for pages that list many of them: `{{ f|download_url }}` costs a string
join, not a `reverse()` per file (a long order lists hundreds)."""

from functools import cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

from atelier.orders.models import OrderFile

register = template.Library()

_PLACEHOLDER = 918273645  # stands for the file's id in a reversed URL; any id of the same shape


@cache
def _around_pk(name: str, prefix: str, urlconf: str | None) -> tuple[str, str]:
    """The URL named `name` for an id, as the text before and after the id. Keyed by the script
    prefix and URLconf, which `reverse()` reads, so a cached pattern is never another site's."""
    head, _, tail = reverse(name, args=[_PLACEHOLDER], urlconf=urlconf).partition(str(_PLACEHOLDER))
    return head, tail


def _url(name: str, pk: int) -> str:
    head, tail = _around_pk(name, get_script_prefix(), get_urlconf())
    return f"{head}{pk}{tail}"


@register.filter
def download_url(file: OrderFile) -> str:
    return _url("file-download", file.pk)


@register.filter
def preview_url(file: OrderFile) -> str:
    return _url("file-preview", file.pk)
