"""The in-app inbox: a person's own notifications, newest first, each one line, with a link to
its order while they may still see it. The notifications app writes and sends them; this app is
the page that reads them (it stands above the engine, to know which orders one may still open)."""

from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.htmx import is_htmx, render_page
from atelier.core.keyset import cursor_listing
from atelier.notifications.messages import line
from atelier.notifications.models import Notification
from atelier.orders import access


def _own_or_404(user: User, pk: int) -> Notification:
    notification = Notification.objects.select_related("order").filter(pk=pk).first()
    if notification is None or notification.recipient_id != user.pk:
        raise Http404("No such notification.")
    return notification


def _prepare(user: User, notifications: Sequence[Notification]) -> None:
    """Give each notification its line and whether its order may still be opened (one query)."""
    order_ids = {n.order_id for n in notifications if n.order_id}
    visible = (
        set(access.visible_orders(user).filter(pk__in=order_ids).values_list("pk", flat=True))
        if order_ids
        else set()
    )
    for notification in notifications:
        notification.line = line(notification)
        notification.order_visible = notification.order_id in visible


def _mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        now = clock.now()
        Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=now)
        notification.read_at = now


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    items = Notification.objects.filter(recipient=request.user).select_related("order")
    if unread_only:
        items = items.filter(read_at=None)
    listing, status = cursor_listing(request, items)
    _prepare(request.user, listing["page"].object_list)
    context = {"unread_only": unread_only, **listing}
    return render_page(request, "inbox/inbox.html", context, partial="items", status=status)


@login_required
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark it read and go to its order; without an order one may see, back to the inbox."""
    notification = _own_or_404(request.user, pk)
    _mark_read(notification)
    if notification.order_id and access.can_see_order(request.user, notification.order):
        return redirect("order-detail", pk=notification.order_id)
    return redirect("inbox")


@login_required
@require_POST
def read_notification(request: HttpRequest, pk: int) -> HttpResponse:
    notification = _own_or_404(request.user, pk)
    _mark_read(notification)
    if is_htmx(request):
        _prepare(request.user, [notification])
        return render_page(request, "inbox/inbox.html", {"n": notification}, partial="item")
    return redirect("inbox")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.filter(recipient=request.user, read_at=None).update(
        read_at=clock.now()
    )
    if count:
        messages.success(request, f"Marked {count} notification{'s' if count > 1 else ''} as read.")
    else:
        messages.info(request, "Everything was already read.")
    return redirect("inbox")
