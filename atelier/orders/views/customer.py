"""The customer's pages, and the order page every party shares (tabs by role)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Window, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from atelier.accounts.signin import send_sign_in_code
from atelier.core import clock
from atelier.core.errors import DomainError, InvalidInput, Throttled
from atelier.core.htmx import is_htmx, render_page
from atelier.core.keyset import cursor_listing
from atelier.documents.downloads import file_response
from atelier.orders import access, actions, queries, ratings
from atelier.orders.clocks import next_clock, with_clock_facts
from atelier.orders.downloads import final_documents_zip
from atelier.orders.forms import (
    AttachmentsForm,
    CommentForm,
    ConfirmForm,
    ExtensionAnswerForm,
    FeeResponseForm,
    PlaceOrderForm,
    RatingForm,
    RevisionRequestForm,
)
from atelier.orders.models import FeeRequest, Order
from atelier.orders.timeline import timeline
from atelier.orders.workflow import DELIVERED_STATUSES, S

from .common import attempt, order_or_404, paginate_by_cursor
from .expert import SubmissionForm

TABS = {
    "overview": "Overview",
    "work": "Your work",
    "conversation": "Conversation",
    "timeline": "Timeline",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Customers see their orders; the other roles start on their own page."""
    user = request.user
    if not user.is_customer:
        for role, url in [
            ("is_agent", "console-orders"),
            ("is_expert", "expert-dashboard"),
            ("is_reviewer", "qc-queue"),
        ]:
            if getattr(user, role):
                return redirect(url)
    orders = with_clock_facts(queries.customer_orders(user))
    listing, status = cursor_listing(request, orders, key="deadline_key", ascending=True)
    now = clock.now()
    rows = [
        (order, queries.next_move(order, viewer=user), next_clock(order, user, now=now))
        for order in listing["page"]
    ]
    context = {"rows": rows, **listing}
    return render_page(request, "orders/my_orders.html", context, status=status)


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    """A new order; with `?again=<order>`, "order again": prefilled from that order of the
    customer's and placed as a booking of its expert (actions.order_again)."""
    if not access.may_create_order_for(request.user, request.user):
        raise PermissionDenied("Only customers place orders.")
    previous, expert = _ordering_again(request)
    posted = request.method == "POST"
    initial = None
    if previous is not None:
        initial = {
            field: getattr(previous, field) for field in ("service", "title", "instructions")
        }
    form = PlaceOrderForm(
        request.POST if posted else None, request.FILES if posted else None, initial=initial
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        fields = {
            "actor": request.user,
            "service": data["service"],
            "title": data["title"],
            "instructions": data["instructions"],
            "due_at": data["due_at"],
            "attachments": _uploads(data["documents"]),
        }
        if previous is not None:
            order = attempt(request, lambda: actions.order_again(previous, **fields), form)
        else:
            order = attempt(request, lambda: actions.place_order(**fields), form)
        if order is not None:
            if previous is not None:
                thanks = f"Thank you! {expert.display_name} is invited to your new order."
            else:
                thanks = "Thank you! Your order is placed; we will find an expert."
            messages.success(request, thanks)
            return redirect("order-detail", pk=order.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "previous": previous, "expert": expert}
    return render(request, "orders/order_new.html", context, status=status)


def _ordering_again(request: HttpRequest):
    """The order `?again=` names and the expert to book, or (None, None) without it: 404 for an
    order the user may not see, 403 for one that is not theirs; one that cannot be booked again
    (not completed, its expert gone) is said so and the page places a new order as usual."""
    again = request.GET.get("again", "")
    if not again:
        return None, None
    if not again.isdigit():
        raise Http404("No such order.")
    previous = order_or_404(request, int(again))
    expert = attempt(request, lambda: actions.bookable_expert(previous, actor=request.user))
    return (previous, expert) if expert is not None else (None, None)


def _uploads(files) -> list[actions.Upload]:
    return [actions.Upload(f) for f in files]


# The tabs that hold a part of the order only some of its readers may see, and the rule for it.
GUARDED_TABS = {"conversation": access.may_read_thread, "timeline": access.may_read_timeline}


def _tabs_for(user, order: Order) -> dict[str, str]:
    tabs = {
        key: label
        for key, label in TABS.items()
        if key not in GUARDED_TABS or GUARDED_TABS[key](user, order)
    }
    if user.pk != order.expert_id:
        tabs.pop("work")
    return tabs


@login_required
def order_detail(request: HttpRequest, pk: int, *, tab: str | None = None, **forms) -> HttpResponse:
    """The order page. Only the current tab is built: its context and its part of the template.
    Opening the overview as the customer marks the deliveries shown there as opened."""
    order = order_or_404(request, pk)
    user = request.user
    tabs = _tabs_for(user, order)
    tab = tab or request.GET.get("tab", "overview")
    if tab in GUARDED_TABS and tab not in tabs:
        # They see the order, not this part of it: refused as the API refuses it.
        raise PermissionDenied("Only the order's parties read this part of it.")
    if tab not in tabs:
        tab = "overview"
    context = {
        "order": order,
        "tabs": tabs,
        "tab": tab,
        "move": queries.next_move(order, viewer=user),
        "is_customer": user.pk == order.customer_id,
        **_TAB_CONTEXT[tab](request, order, forms),
    }
    status = 400 if forms or context.get("cursor_error") else 200
    return render_page(
        request, "orders/order_detail.html", context, partial="tab_panel", status=status
    )


# Deliveries and revision requests shown in full on the order page, newest first; the older ones
# are behind a "Show all" link (?all=1), so that a long-running order renders like a new one.
LATEST_SHOWN = 5
# Messages per page of the conversation, newest page first, "Older messages" by cursor.
COMMENTS_PER_PAGE = 50


def _history(request: HttpRequest, order: Order, submissions: list) -> dict:
    """The deliveries and revision requests the page shows in full, files prefetched for those
    alone: the newest few, or all of them with ?all=1, and how many there are. `submissions`
    (all the reader may see) stay in the context for each shown delivery's diff base."""
    show_all = request.GET.get("all") == "1"
    shown = submissions if show_all else submissions[:LATEST_SHOWN]
    # The newest revision requests and how many there are, in one query: COUNT(*) OVER ().
    requests = order.revision_requests.annotate(total=Window(Count("pk")))
    shown_requests = list(requests if show_all else requests[:LATEST_SHOWN])
    requests_count = shown_requests[0].total if shown_requests else 0
    show_qc = access.may_see_scorecard(request.user, order)
    answers = Prefetch("answered_items", queries.visible_items(request.user, order))
    prefetch_related_objects(shown, "files", answers)
    if show_qc:
        prefetch_related_objects(shown, "reviews__items")
    prefetch_related_objects(shown_requests, "files", "items")
    return {
        "submissions": submissions,
        "shown_submissions": shown,
        "older_count": len(submissions) - len(shown),
        "revision_requests_count": requests_count,
        "shown_revision_requests": shown_requests,
        "older_revision_count": requests_count - len(shown_requests),
        "show_all": show_all,
        "show_qc": show_qc,
        "latest_count": LATEST_SHOWN,
    }


def _overview(request: HttpRequest, order: Order, forms: dict) -> dict:
    user = request.user
    is_customer = user.pk == order.customer_id
    submissions = queries.visible_submissions(user, order, files=False)
    if is_customer:
        # One write the first time a delivery is seen; none when all are known opened.
        actions.mark_deliveries_opened(order, submissions, actor=user)
    return {
        **_history(request, order, submissions),
        "has_final": any(s.delivered_at for s in submissions),
        "can_respond": is_customer and order.status in DELIVERED_STATUSES,
        "show_customer": access.may_see_customer(user, order),
        "attachments": queries.customer_documents(user, order),
        "quoted_fees": order.fee_requests.filter(status=FeeRequest.Status.QUOTED)
        if is_customer
        else [],
        "pending_extension": queries.pending_extension(order)
        if order.clock_extension_asked and access.may_answer_extension(user, order)
        else None,
        "revision_form": forms.get("revision_form") or RevisionRequestForm(),
        "attachments_form": forms.get("attachments_form") or AttachmentsForm(),
        **_rating_context(user, order, forms.get("rating_form")),
    }


def _rating_context(user, order: Order, form: RatingForm | None = None) -> dict:
    """What orders/_rating.html shows: the rating (to those who may see it), the customer's
    form while there is none, and "Order again"."""
    rating = ratings.rating_for(user, order)
    completed = order.status == S.COMPLETED and order.expert_id is not None
    is_customer = access.may_rate(user, order)
    return {
        "rating": rating,
        "may_rate": completed and is_customer and rating is None,
        "rating_form": form or RatingForm(),
        "may_order_again": completed and access.may_order_again(user, order),
    }


def _next_round(order: Order, submissions: list) -> dict:
    """While the expert works on the next round: the points it answers, and QC's send-back
    they may appeal (`submissions`: all of them, newest first, reviews prefetched)."""
    latest = submissions[0] if submissions else None
    return {
        "upload_items": SubmissionForm(items=queries.open_items(order, latest)).item_rows(),
        "appealable": actions.appealable_review(order, latest) if latest else None,
    }


def _work(request: HttpRequest, order: Order, forms: dict) -> dict:
    user = request.user
    submissions = queries.visible_submissions(user, order, files=False)
    return {
        **_history(request, order, submissions),
        "close": actions.close_info(order, actor=user) if order.expert_may_close else None,
        **(
            _next_round(order, submissions)
            if order.status in (S.IN_PROGRESS, S.REVISION_REQUESTED)
            else {}
        ),
    }


def _conversation(request: HttpRequest, order: Order, forms: dict) -> dict:
    comments = order.comments.select_related("author").prefetch_related("files")
    context = {
        "may_comment": access.may_comment(request.user, order),
        "comment_form": forms.get("comment_form") or CommentForm(),
    }
    try:
        page = paginate_by_cursor(request, comments, per_page=COMMENTS_PER_PAGE)
    except InvalidInput as error:
        return {**context, "comments": [], "cursor_error": error.message}
    # A page is read newest first; a conversation reads oldest first.
    return {**context, "comments": page.object_list[::-1], "comments_page": page}


def _timeline(request: HttpRequest, order: Order, forms: dict) -> dict:
    return {"timeline": timeline(request.user, order)}


_TAB_CONTEXT = {
    "overview": _overview,
    "work": _work,
    "conversation": _conversation,
    "timeline": _timeline,
}


def _back(order: Order, tab: str = "overview", anchor: str = "") -> HttpResponse:
    url = reverse("order-detail", args=[order.pk])
    return redirect(f"{url}?tab={tab}" + (f"#{anchor}" if anchor else ""))


@login_required
@require_POST
def order_revision(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_or_404(request, pk)
    form = RevisionRequestForm(request.POST, request.FILES)
    if form.is_valid():
        done = attempt(
            request,
            lambda: actions.request_revision(
                order,
                actor=request.user,
                items=form.cleaned_data["items"],
                files=_uploads(form.cleaned_data["files"]),
            ),
            form,
        )
        if done is not None:
            messages.success(request, "Your revision request is on its way to the expert.")
            return _back(order)
    return order_detail(request, pk, revision_form=form)


@login_required
@require_POST
def order_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer rates the completed order (and may tip): an htmx request gets the rating
    card back (with the form's errors, or the rating), others the order page."""
    order = order_or_404(request, pk)
    form = RatingForm(request.POST)
    rating = None
    if form.is_valid():
        data = form.cleaned_data
        rating = attempt(
            request,
            lambda: actions.rate_order(
                order,
                actor=request.user,
                stars=data["stars"],
                text=data["text"],
                tip_amount=data["tip"] or None,
            ),
            form,
        )
    if is_htmx(request):
        context = {"order": order, "thanked": rating is not None}
        context |= _rating_context(request.user, order, None if rating else form)
        # 200 either way: htmx swaps in what a 2xx brings (the errors beside the fields too).
        return render(request, "orders/_rating.html", context)
    if rating is not None:
        messages.success(request, "Thank you for rating the delivery.")
        return _back(order, anchor="rating")
    return order_detail(request, pk, rating_form=form)


@login_required
def order_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Completing is final for the customer: a confirmation page first."""
    order = order_or_404(request, pk)
    if not access.may_complete(request.user, order):
        raise PermissionDenied("Only the customer or an agent completes the order.")
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        done = attempt(request, lambda: actions.complete_order(order, actor=request.user), form)
        if done is not None:
            messages.success(request, "The order is complete. Thank you!")
            return redirect("order-final", pk=order.pk)
    latest = next(iter(queries.visible_submissions(request.user, order)), None)
    context = {"order": order, "form": form, "latest": latest}
    return render(
        request, "orders/order_complete.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def order_comment(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_or_404(request, pk)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        done = attempt(
            request,
            lambda: actions.post_comment(
                order,
                actor=request.user,
                body=form.cleaned_data["body"],
                files=_uploads(form.cleaned_data["files"]),
            ),
            form,
        )
        if done is not None:
            messages.success(request, "Message sent.")
            return _back(order, "conversation", "comments")
    return order_detail(request, pk, tab="conversation", comment_form=form)


@login_required
@require_POST
def order_attachments(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_or_404(request, pk)
    form = AttachmentsForm(request.POST, request.FILES)
    if form.is_valid():
        done = attempt(
            request,
            lambda: actions.add_attachments(
                order,
                actor=request.user,
                files=_uploads(form.cleaned_data["files"]),
            ),
            form,
        )
        if done is not None:
            messages.success(request, "Documents added.")
            return _back(order, anchor="documents")
    return order_detail(request, pk, attachments_form=form)


@login_required
@require_POST
def fee_respond(request: HttpRequest, pk: int, fee_pk: int) -> HttpResponse:
    order = order_or_404(request, pk)
    fee = order.fee_requests.filter(pk=fee_pk).first()
    form = FeeResponseForm(request.POST)
    if fee is None or not form.is_valid():
        messages.error(request, "Choose to accept or decline the fee.")
        return _back(order)
    accept = form.cleaned_data["accept"]
    if attempt(request, lambda: actions.respond_to_fee(fee, actor=request.user, accept=accept)):
        messages.success(
            request, "Fee accepted: the expert resumes work." if accept else "Fee declined."
        )
    return _back(order)


@login_required
@require_POST
def extension_answer(request: HttpRequest, pk: int, extension_pk: int) -> HttpResponse:
    """The customer (or an agent) gives the expert more time, or declines."""
    order = order_or_404(request, pk)
    extension = order.extensions.filter(pk=extension_pk).first()
    form = ExtensionAnswerForm(request.POST)
    if extension is None or not form.is_valid():
        messages.error(request, "Choose to give more time or to decline.")
        return _back(order)
    accept, note = form.cleaned_data["accept"], form.cleaned_data["note"]
    answered = attempt(
        request,
        lambda: actions.answer_extension(extension, actor=request.user, accept=accept, note=note),
    )
    if answered:
        messages.success(
            request,
            "More time given: the new due date applies." if accept else "Request declined.",
        )
    return _back(order)


@login_required
def order_final(request: HttpRequest, pk: int) -> HttpResponse:
    """The final documents: the latest delivery's files, where the farewell link lands."""
    order = order_or_404(request, pk)
    final = queries.final_submission(request.user, order)
    if final is not None and request.user.pk == order.customer_id:
        actions.mark_delivery_opened(final, actor=request.user)
    return render(request, "orders/order_final.html", {"order": order, "final": final})


@login_required
def download_file(request: HttpRequest, pk: int) -> HttpResponse:
    file = attempt(request, lambda: access.get_file_for(request.user, pk))
    actions.mark_file_opened(file, actor=request.user)
    return file_response(file)


@login_required
def order_final_zip(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Download all final documents": one streamed zip."""
    order = order_or_404(request, pk)
    return attempt(request, lambda: final_documents_zip(request.user, order))


def access_link(request: HttpRequest, token: str) -> HttpResponse:
    """The farewell's link (rule 9): the customer, signed in, goes straight to the documents,
    however often they click; someone else who may see the order lands on it, anyone else gets a
    404. A visitor who is not signed in
    sees only that documents are ready and how to sign in: nothing of the order, nothing used up.
    """
    link = _access_link_or_404(token)
    final_url = reverse("order-final", args=[link.order_id])
    if request.user.is_authenticated:
        if request.user.pk == link.user_id:
            return redirect(final_url)
        if not access.can_see_order(request.user, link.order):
            raise Http404("No such page.")
        # The order's expert checking their farewell, an agent: their own view of the order.
        messages.info(request, "That link is the customer's way to their final documents.")
        return redirect("order-detail", pk=link.order_id)
    login_url = f"{reverse('account_login')}?{urlencode({'next': final_url})}"
    return render(request, "orders/link_landing.html", {"token": token, "login_url": login_url})


@require_POST
def access_link_code(request: HttpRequest, token: str) -> HttpResponse:
    """ "E-mail me a sign-in code": sent to the customer's own address, never to one typed here."""
    link = _access_link_or_404(token)
    if request.user.is_authenticated:
        return redirect("access-link", token=token)
    final_url = reverse("order-final", args=[link.order_id])
    try:
        code_page = send_sign_in_code(request, link.user, then=final_url)
    except Throttled as error:
        messages.error(request, error.message)
        return redirect("access-link", token=token)
    messages.info(request, "We e-mailed you a sign-in code. Type it in below.")
    return redirect(code_page)


def _access_link_or_404(token: str):
    try:
        return actions.find_access_link(token)
    except DomainError:
        raise Http404("This link is not valid.") from None
