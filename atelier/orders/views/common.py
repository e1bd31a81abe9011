"""What every order page needs: fetch-with-access that 404s outsiders, and running one action
with its DomainError shown beside the form field it concerns."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest

from atelier.core.errors import DomainError, NotAllowed, NotFound
from atelier.core.keyset import KeysetPage, keyset_page
from atelier.orders import access
from atelier.orders.clocks import with_clock_facts
from atelier.orders.models import Order

PAGE_SIZE = 25


def order_or_404(request: HttpRequest, pk: int) -> Order:
    """The order if the user may see it (else 404), with its clocks' facts in the same query."""
    try:
        return access.get_order_for(request.user, pk, with_clock_facts(Order.objects.all()))
    except NotFound:
        raise Http404("No such order.") from None


def attempt[T](
    request: HttpRequest, action: Callable[[], T], form: forms.Form | None = None
) -> T | None:
    """Run one action. A refusal becomes an error beside the field it names (or at the top of
    the form, or as a page message without a form) and None; "not found" becomes a 404, and
    "you see it but may not do this" a 403 with the reason, as in the API."""
    try:
        return action()
    except NotFound:
        raise Http404("Not found.") from None
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        if form is not None:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.error(request, error.message)
        return None


def paginate(request: HttpRequest, items, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def paginate_by_cursor(request: HttpRequest, items, per_page: int = PAGE_SIZE) -> KeysetPage:
    """For lists that grow without bound: "Newer"/"Older" pages by `?cursor=`, newest first by
    creation, with no count. Raises InvalidInput for a cursor we did not give out."""
    return keyset_page(items, cursor=request.GET.get("cursor") or None, per_page=per_page)
