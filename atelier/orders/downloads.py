"""Downloads that need the order's rules: "download all final documents", for the pages and the
API alike. Streaming a file or a zip is documents/downloads.py's; which files, for whom, and
what downloading them means is decided here."""

from django.http import StreamingHttpResponse

from atelier.accounts.models import User
from atelier.core.errors import NotFound
from atelier.documents.downloads import zip_response

from . import access, actions, queries
from .models import Order


def final_documents_zip(user: User, order: Order) -> StreamingHttpResponse:
    """The latest delivery `user` may see, as one zip (NotFound when there is none). For the
    customer, downloading it counts as opening the delivery, as for a single file."""
    final = queries.final_submission(user, order)
    files = [f for f in final.files.all() if access.can_download(user, f)] if final else []
    if not files:
        raise NotFound("Nothing has been delivered on this order yet.")
    actions.mark_delivery_opened(final, actor=user)
    return zip_response(files, filename=f"order-{order.pk}-final-documents.zip")
