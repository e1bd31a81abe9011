from collections.abc import Iterable

from django import template

from atelier.documents.previews import preview_kind
from atelier.orders.models import OrderFile, Submission

register = template.Library()


@register.filter
def previewable(file: OrderFile) -> bool:
    """Whether a file gets a Preview button (by its name: nothing is read)."""
    return preview_kind(file.name) is not None


@register.filter
def diff_base(submission: Submission, shown: Iterable[Submission]) -> Submission | None:
    """The submission before `submission` if it is among those `shown` to the viewer: a diff
    is offered only between two submissions the viewer may both see."""
    return next((s for s in shown if s.number == submission.number - 1), None)
