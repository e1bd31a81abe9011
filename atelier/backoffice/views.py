"""The agent console: every order, one order (tab by tab) with every agent action, the flags
inbox. The quality loop's pages (appeals, QC reviewers) are in quality.py.

Anyone who is not an agent gets 404 here, as for anything else they may not see.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from atelier.accounts.decorators import agent_required
from atelier.core import clock
from atelier.core.errors import NotFound
from atelier.core.htmx import is_htmx, render_page
from atelier.core.keyset import cursor_listing
from atelier.orders import access, actions
from atelier.orders.clocks import next_clock, with_clock_facts
from atelier.orders.models import Flag, Order
from atelier.orders.timeline import timeline
from atelier.orders.views.common import attempt, order_or_404, paginate

from . import queries
from .forms import (
    ACTION_TABS,
    DONE,
    AppealDecisionForm,
    FlagFilterForm,
    FlagResolutionForm,
    OrderFilterForm,
    Panel,
    ReviewerForm,
    arrange_panels,
    bound_panel,
    order_panels,
    quality_forms,
)

# --- all orders --------------------------------------------------------------------------------


@agent_required
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    filters = form.filters()
    orders = queries.console_orders(filters, now=clock.now())
    ordering = queries.DUE_FIRST if filters.due_first else queries.NEWEST_FIRST
    listing, status = cursor_listing(request, with_clock_facts(orders), **ordering)
    now = clock.now()
    for order in listing["page"]:
        order.next_clock = next_clock(order, request.user, now=now)
    context = {
        "form": form,
        "filtered": filters != queries.OrderFilters(),
        "due_first": filters.due_first,
        **listing,
    }
    return render_page(request, "backoffice/orders.html", context, partial="results", status=status)


# --- one order ---------------------------------------------------------------------------------


def console_order(request: HttpRequest, pk: int) -> Order:
    """The order with what waits for an agent on it and its clocks' facts, in one query,
    authorised by the engine's rule as order_or_404 does."""
    orders = Order.objects.select_related("qc_reviewer")
    orders = queries.with_attention(with_clock_facts(orders))
    try:
        return access.get_order_for(request.user, pk, orders)
    except NotFound:
        raise Http404("No such order.") from None


@agent_required
def order_page(request: HttpRequest, pk: int) -> HttpResponse:
    order = console_order(request, pk)
    tab = request.GET.get("tab", "overview")
    return render_order(request, order, tab if tab in queries.TABS else "overview")


@agent_required
@require_POST
def order_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    order = order_or_404(request, pk)
    panel = bound_panel(order, name, request.POST)
    if panel is None:
        raise Http404("No such action.")
    form = panel.form
    if form.is_valid():
        done = attempt(
            request,
            # `or True`: attempt() answers None for a refusal, whatever the action returns
            lambda: panel.action.run(order, request.user, form.cleaned_data) or True,
            form,
        )
        if done is not None:
            messages.success(request, DONE[name])
            return redirect(_tab_url(order, ACTION_TABS[name]))
    order = console_order(request, pk)  # the engine may have refused midway: show what is
    return render_order(request, order, ACTION_TABS[name], failed=panel)


def _tab_url(order: Order, tab: str) -> str:
    url = reverse("console-order", args=[order.pk])
    return url if tab == "overview" else f"{url}?tab={tab}"


def render_order(
    request: HttpRequest,
    order: Order,
    tab: str,
    *,
    failed: Panel | AppealDecisionForm | ReviewerForm | None = None,
) -> HttpResponse:
    """Only the current tab is built: its lists, its action forms, its part of the template.
    `failed`: the form an action just refused, shown with its errors."""
    dossier = queries.order_dossier(order, tab)
    panel = failed if isinstance(failed, Panel) else None
    panels = order_panels(order, request.user, dossier, tab=tab, failed=panel)
    panels = arrange_panels(panels, dossier)
    invite = next((p for p in panels if p.name == "invite"), None)
    ticked = invite.form.data.getlist("experts") if invite and invite.form.is_bound else []
    expert_q = request.GET.get("expert_q", "")
    attention = queries.attention(order)
    context = {
        "order": order,
        "tabs": [(key, label, attention.waiting(key)) for key, label in queries.TABS.items()],
        "tab": tab,
        "attention": attention,
        "d": dossier,
        "timeline": timeline(request.user, order, dossier.events) if tab == "timeline" else [],
        "panels": panels,
        # The comment form stands under the comments; the others in the tab's "Agent actions".
        "actions": [p for p in panels if p.name != "comment"],
        "expert_q": expert_q,
        # Only an order open to invitations shows the picker: no query for it otherwise.
        "picker": queries.invite_picker(order, expert_q, ticked) if invite else None,
        "qc_form": None,
    }
    if tab == "work":
        quality = failed if isinstance(failed, AppealDecisionForm | ReviewerForm) else None
        context["qc_form"] = quality_forms(order, dossier, failed=quality)
        context["qc_holder"] = queries.qc_holder(order, now=clock.now())
    return render_page(request, "backoffice/order.html", context, partial="tab_panel")


@agent_required
def expert_search(request: HttpRequest, pk: int) -> HttpResponse:
    """The invite panel's search: htmx swaps the list of pros; without JS, the order page
    narrowed to the search."""
    order = order_or_404(request, pk)
    text = request.GET.get("expert_q", "")
    if not is_htmx(request):
        url = reverse("console-order", args=[order.pk])
        return redirect(f"{url}?{urlencode({'expert_q': text})}#invite")
    picker = queries.invite_picker(order, text, request.GET.getlist("experts"))
    return render(request, "backoffice/_expert_picker.html", {"order": order, "picker": picker})


# --- flags inbox -------------------------------------------------------------------------------


@agent_required
def flag_list(request: HttpRequest) -> HttpResponse:
    form = FlagFilterForm(request.GET)
    page = paginate(request, queries.flags_inbox(**form.values()))
    context = {
        "form": form,
        "page": page,
        "filtered": any(form.values().values()),
        "here": request.get_full_path(),
    }
    return render_page(request, "backoffice/flags.html", context, partial="results")


@agent_required
@require_POST
def resolve_flag(request: HttpRequest, pk: int) -> HttpResponse:
    """Resolve one flag from the inbox: htmx swaps its row; without JS, back to the inbox."""
    flag = get_object_or_404(Flag.objects.select_related("order"), pk=pk)
    form = FlagResolutionForm(request.POST, auto_id=f"flag-{flag.pk}-%s")
    done = None
    if form.is_valid():
        resolution = form.cleaned_data["resolution"]
        resolve = lambda: actions.resolve_flag(flag, actor=request.user, resolution=resolution)  # noqa: E731
        done = attempt(request, resolve, form if is_htmx(request) else None)
    if is_htmx(request):
        flag = queries.flags_inbox().get(pk=flag.pk)
        context = {"flag": flag, "row_form": None if done else form, "here": _next(request)}
        return render(request, "backoffice/flags.html#flag_row", context)
    if done:
        messages.success(request, f"Flag resolved: {flag.get_kind_display()} on {flag.order}.")
    elif form.errors:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(_next(request))


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("console-flags")
