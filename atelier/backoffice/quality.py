"""The quality loop for agents: the experts' appeals of QC send-backs (listed here, decided on the
order's Work tab), and who reviews the work waiting in QC (given to a reviewer or put back in the
queue). The engine decides (orders/actions/quality.py); these pages ask and show."""

from functools import partial

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from atelier.accounts.decorators import agent_required
from atelier.core.errors import NotFound
from atelier.core.htmx import render_page
from atelier.orders import access, actions
from atelier.orders.models import Appeal, Order
from atelier.orders.views.common import attempt, paginate

from . import queries
from .forms import AppealDecisionForm, AppealFilterForm, ReviewerForm
from .views import console_order, render_order


@agent_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    form = AppealFilterForm(request.GET)
    status = form.status_value()
    context = {
        "form": form,
        "page": paginate(request, queries.appeals(status)),
        "filtered": bool(status),
    }
    return render_page(request, "backoffice/appeals.html", context, partial="results")


def appeal_url(appeal: Appeal) -> str:
    """Where an appeal is decided: beside the review it disputes, on the order's Work tab."""
    return reverse("console-order", args=[appeal.order_id]) + f"?tab=work#appeal-{appeal.pk}"


@agent_required
@require_POST
def decide_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        appeal = access.get_appeal_for(request.user, pk)
    except NotFound:
        raise Http404("No such appeal.") from None
    form = AppealDecisionForm(appeal, request.POST)
    if form.is_valid():
        decide = partial(actions.decide_appeal, appeal, actor=request.user, **form.cleaned_data)
        if (decided := attempt(request, decide, form)) is not None:
            submission = decided.review.submission
            round_ = f"{submission.get_kind_display().lower()} #{submission.number}"
            if decided.status == Appeal.Status.OVERTURNED:
                done = f"Appeal overturned: {round_} is approved and delivered to the customer."
            else:
                done = f"Appeal upheld: QC's send-back of {round_} stands."
            messages.success(request, done)
            return redirect(appeal_url(decided))
    order = console_order(request, appeal.order_id)  # as it is now, whatever the engine did
    return render_order(request, order, "work", failed=form)


@agent_required
@require_POST
def assign_reviewer(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the submission waiting in QC to a reviewer, or put it back in the queue."""
    try:
        submission = access.get_submission_for(request.user, pk)
    except NotFound:
        raise Http404("No such submission.") from None
    form = ReviewerForm(submission, request.POST)
    if form.is_valid():
        reviewer = form.chosen()
        assign = partial(actions.assign_reviewer, submission, actor=request.user, reviewer=reviewer)
        if (order := attempt(request, assign, form)) is not None:
            messages.success(request, _assigned(order, submission.number))
            url = reverse("console-order", args=[order.pk])
            return redirect(f"{url}?tab=work#qc-reviewer")
    order = console_order(request, submission.order_id)
    return render_order(request, order, "work", failed=form)


def _assigned(order: Order, number: int) -> str:
    if order.qc_reviewer is None:
        return f"Submission #{number} is back in the QC queue: any reviewer may claim it."
    until = localtime(order.qc_claimed_until).strftime("%a %-d %b, %H:%M %Z")
    who = order.qc_reviewer
    return f"Submission #{number} is {who}'s to review until {until}; they have been told."
