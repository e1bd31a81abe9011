from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from atelier.core.errors import DomainError, NotFound
from atelier.orders import access, actions


def _or_404(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound as error:
        raise Http404(error.message) from None


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _or_404(access.get_order_for, request.user, pk)
    submissions = [
        s
        for s in order.submissions.prefetch_related("files")
        if access.can_see_submission(request.user, s)
    ]
    for submission in submissions:
        actions.mark_delivery_opened(submission, actor=request.user)
    context = {
        "order": order,
        "submissions": submissions,
        "events": order.events.select_related("actor"),
        "attachments": order.files.filter(submission=None, revision_request=None, comment=None),
    }
    return render(request, "orders/order_detail.html", context)


@login_required
def download_file(request: HttpRequest, pk: int) -> FileResponse:
    file = _or_404(access.get_file_for, request.user, pk)
    if file.submission_id:
        actions.mark_delivery_opened(file.submission, actor=request.user)
    return FileResponse(
        file.file.open("rb"),
        as_attachment=True,
        filename=file.name,
        content_type=file.content_type,
    )


def access_link(request: HttpRequest, token: str) -> HttpResponse:
    """The farewell's one-time link (DESIGN rule 9)."""
    visitor = request.user if request.user.is_authenticated else None
    try:
        outcome = actions.redeem_access_link(token, visitor=visitor)
    except DomainError as error:
        return render(request, "orders/link_error.html", {"message": error.message}, status=410)
    if not outcome.consumed:
        # Someone other than the customer (an expert checking it, an agent): nothing changes.
        messages.info(request, "This link is for the customer; opening it changed nothing.")
        if access.can_see_order(request.user, outcome.order):
            return redirect("order-detail", pk=outcome.order.pk)
        return redirect("home")
    login(request, outcome.user, backend="django.contrib.auth.backends.ModelBackend")
    if outcome.needs_password:
        messages.info(request, "Welcome! Choose a password so you can log in again later.")
        return redirect(f"/accounts/set-password/?next=/orders/{outcome.order.pk}/")
    return redirect("order-detail", pk=outcome.order.pk)
