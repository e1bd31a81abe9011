"""Reading files in the browser: a preview of one file, its bytes served inline (images and
PDFs only), and what changed between two consecutive submissions. Who may see what is
access.py's answer, as for downloads: 404 for everyone else."""

from itertools import chain

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from atelier.core.htmx import render_page
from atelier.documents import diff, previews
from atelier.documents.storage import read_chunks
from atelier.orders import access, actions, queries

from .common import attempt, order_or_404

# An inline file is a document of its own if opened directly: it may run nothing, load
# nothing, and be framed only by our own pages (the PDF preview). Chromium's PDF viewer
# renders under `sandbox` (checked by tests/browser/test_previews.py).
INLINE_CSP = {"default-src": ["'none'"], "frame-ancestors": ["'self'"], "sandbox": True}


@login_required
@require_GET
def file_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview: the fragment for htmx (the order page's Preview button), else a page."""
    file = attempt(request, lambda: access.get_file_for(request.user, pk))
    actions.mark_file_opened(file, actor=request.user)  # DESIGN rule 8
    context = {"file": file, "order": file.order, "preview": previews.preview_for(file)}
    return render_page(request, "orders/files/preview.html", context, partial="preview")


@login_required
@require_GET
@xframe_options_sameorigin
@csp_override(INLINE_CSP)
def file_inline(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """An image or a PDF, streamed, with the type its first bytes prove; 404 for the rest."""
    file = attempt(request, lambda: access.get_file_for(request.user, pk))
    chunks = read_chunks(file.file.storage, file.file.name)
    head = next(chunks, b"")
    content_type = previews.inline_type(file.name, head)
    if content_type is None:
        chunks.close()
        raise Http404("No preview for this file.")
    response = StreamingHttpResponse(chain([head], chunks), content_type=content_type)
    response["Content-Length"] = str(file.size)
    response["Content-Disposition"] = content_disposition_header(False, file.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_GET
def submission_diff(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Submission `number` against `number - 1`, for whoever may see both."""
    order = order_or_404(request, pk)
    pair = {
        s.number: s
        for s in order.submissions.filter(number__in=[number - 1, number]).prefetch_related("files")
    }
    previous, submission = pair.get(number - 1), pair.get(number)
    if not (
        previous
        and submission
        and access.can_see_submission(request.user, previous)
        and access.can_see_submission(request.user, submission)
    ):
        raise Http404("No such submission.")
    actions.mark_delivery_opened(submission, actor=request.user)
    # Named as this reader counts them (a customer by delivery, rule 3).
    names = queries.submission_names(request.user, order, [number - 1, number])
    previous.shown, submission.shown = names[number - 1], names[number]
    context = {
        "order": order,
        "previous": previous,
        "submission": submission,
        "files": diff.compare_file_sets(previous.files.all(), submission.files.all()),
    }
    return render(request, "orders/files/diff.html", context)
