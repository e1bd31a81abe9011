"""The console's forms: list filters, the agent's actions as panels on the order page, and the
quality loop's forms (an appeal's decision, the QC reviewer of the work waiting in QC).

The actions themselves (their forms' fields and the engine call) come from
atelier.orders.agent_forms; the console adds a confirmation to the irreversible ones and
decides which panels an order's state calls for. The engine still has the final word.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from django import forms
from django.urls import reverse

from atelier.accounts.models import User
from atelier.catalog.models import Service
from atelier.core import clock
from atelier.orders import actions
from atelier.orders import agent_forms as base
from atelier.orders.models import Appeal, Flag, Order, Submission
from atelier.orders.workflow import CLOSED_STATUSES, DELIVERED_STATUSES

from . import queries
from .queries import OrderDossier, OrderFilters

S = Order.Status

# --- filters -----------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "#id, title or e-mail"}),
    )
    status = forms.ChoiceField(choices=[("", "Any"), *S.choices], required=False)
    flow = forms.ChoiceField(choices=[("", "Any"), *Order.Flow.choices], required=False)
    service = forms.ModelChoiceField(
        Service.objects.all(), to_field_name="slug", required=False, empty_label="Any"
    )
    expert = forms.CharField(label="Expert e-mail", required=False, max_length=254)
    flagged = forms.BooleanField(label="Open flags", required=False)
    overdue = forms.BooleanField(label="Overdue", required=False)
    closable = forms.BooleanField(label="Closable, not closed", required=False)
    sort = forms.ChoiceField(
        label="Order by",
        choices=[("", "Newest first"), ("due", "Due soonest (not delivered yet)")],
        required=False,
    )

    def filters(self) -> OrderFilters:
        """What the valid fields ask for; an invalid one (a hand-edited URL) is ignored."""
        self.is_valid()
        data = self.cleaned_data
        service = data.get("service")
        return OrderFilters(
            status=data.get("status", ""),
            flow=data.get("flow", ""),
            service=service.slug if service else "",
            flagged=data.get("flagged", False),
            expert=data.get("expert", ""),
            overdue=data.get("overdue", False),
            closable=data.get("closable", False),
            q=data.get("q", ""),
            due_first=data.get("sort") == "due",
        )


class FlagFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Any"), *Flag.Kind.choices], required=False)
    state = forms.ChoiceField(
        choices=[("", "Open first, then resolved"), ("open", "Open"), ("resolved", "Resolved")],
        required=False,
        label="Show",
    )

    def values(self) -> dict[str, str]:
        self.is_valid()
        return {
            "kind": self.cleaned_data.get("kind", ""),
            "state": self.cleaned_data.get("state", ""),
        }


class FlagResolutionForm(forms.Form):
    resolution = forms.CharField(label="Resolution note", required=False, max_length=5000)


class AppealFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            ("all", "All, waiting first"),
            *[(value, label) for value, label in Appeal.Status.choices],
        ],
        required=False,
        label="Show",
    )

    def status_value(self) -> str:
        """The status asked for; "" for all (also for a hand-edited URL)."""
        status = self.cleaned_data.get("status", "") if self.is_valid() else ""
        return "" if status == "all" else status


# --- the quality loop on the order page: an appeal's decision, who reviews the work in QC ------


class AppealDecisionForm(forms.Form):
    """Uphold or overturn, one button each; the reason is required (the engine checks it too)."""

    decision = forms.ChoiceField(
        choices=Appeal.Decision.choices,
        error_messages={"required": "Choose: uphold the send-back or overturn it."},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        label="Your reason",
        help_text="The expert and the reviewer read it; the customer never does.",
        error_messages={"required": "Give a reason for your decision."},
    )

    def __init__(self, appeal: Appeal, *args, **kwargs):
        self.appeal = appeal
        kwargs.setdefault("auto_id", f"appeal-{appeal.pk}-%s")
        super().__init__(*args, **kwargs)


class ReviewerForm(forms.Form):
    """Give the submission waiting in QC to a reviewer, or back to the queue. The select offers
    the reviewers who may review the order; whether one may is the engine's to say."""

    reviewer = forms.ModelChoiceField(
        User.objects.filter(is_active=True),
        required=False,
        label="Reviewer",
        error_messages={"invalid_choice": "Choose an active QC reviewer."},
    )
    to_queue = forms.BooleanField(required=False)  # the "Back to the queue" button

    def __init__(self, submission: Submission, *args, **kwargs):
        self.submission = submission
        kwargs.setdefault("auto_id", "qc-reviewer-%s")
        super().__init__(*args, **kwargs)
        options = [
            (u.pk, f"{u.name} ({u.email})" if u.name else u.email)
            for u in queries.qc_reviewers(submission.order)
        ]
        self.fields["reviewer"].widget.choices = [("", "Choose a reviewer"), *options]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("to_queue") and not data.get("reviewer") and "reviewer" not in self.errors:
            self.add_error("reviewer", "Choose a reviewer, or put the work back in the queue.")
        return data

    def chosen(self) -> User | None:
        """The reviewer chosen; None: back to the queue."""
        return None if self.cleaned_data["to_queue"] else self.cleaned_data["reviewer"]


# --- actions: the forms of orders/agent_forms.py, with confirmations where a step is irreversible


def _confirm(label: str) -> forms.BooleanField:
    return forms.BooleanField(
        label=label,
        required=True,
        error_messages={"required": "Tick “I confirm” to go ahead."},
    )


class CompleteForm(base.ConfirmForm):
    confirm = _confirm("I confirm: mark the order completed (only an agent can reopen it).")


class OfferLinkedForm(base.ConfirmForm):
    confirm = _confirm("I confirm: invite the pros who missed this order to the linked one.")


class CancelForm(base.ReasonForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The customer and the expert see it."
    )
    confirm = _confirm("I confirm: cancel the order. This cannot be undone.")


class CloseForm(base.CloseForm):
    confirm = _confirm("I confirm: close the order and send this farewell to the customer.")


class TriageForm(base.TriageForm):
    decision = forms.ChoiceField(
        choices=base.RevisionRequest.Triage.choices, widget=forms.RadioSelect
    )
    fee_amount = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, min_value=0, label="Fee amount"
    )
    fee_currency = forms.CharField(
        required=False, max_length=3, label="Fee currency", help_text="Blank: the reward's."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Required when rejecting; the customer sees it.",
    )


class FeeDecisionForm(base.FeeDecisionForm):
    approve = forms.TypedChoiceField(
        choices=[("yes", "Approve: quote it to the customer"), ("no", "Reject")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Decision",
    )


class CreditForm(base.CreditForm):
    memo = forms.CharField(max_length=300, help_text="What the credit is for; the expert sees it.")


CONSOLE_ACTIONS: dict[str, base.AgentAction] = {
    **base.AGENT_ACTIONS,
    "complete": replace(base.AGENT_ACTIONS["complete"], form=CompleteForm),
    "offer_linked": replace(base.AGENT_ACTIONS["offer_linked"], form=OfferLinkedForm),
    "cancel": replace(base.AGENT_ACTIONS["cancel"], form=CancelForm),
    "close": replace(base.AGENT_ACTIONS["close"], form=CloseForm),
    "triage": replace(base.AGENT_ACTIONS["triage"], form=TriageForm),
    "decide_fee": replace(base.AGENT_ACTIONS["decide_fee"], form=FeeDecisionForm),
    "credit": replace(base.AGENT_ACTIONS["credit"], form=CreditForm),
}

# Actions about one thing on the order: the field that names it, shown hidden beside that thing.
SUBJECT_FIELDS = {"triage": "request", "decide_fee": "fee", "resolve_flag": "flag"}

DONE = {
    "assign": "Expert assigned; they have been told.",
    "invite": "Invitations sent.",
    "link": "Linked order saved.",
    "offer_linked": "The linked order was offered to the pros who missed this one.",
    "triage": "Revision request triaged.",
    "decide_fee": "Fee request decided.",
    "request_revision": "Revision requested on the customer's behalf.",
    "complete": "Order completed.",
    "close": "Order closed; the farewell is on its way to the customer.",
    "comment": "Comment posted.",
    "resolve_flag": "Flag resolved.",
    "credit": "Credit recorded.",
    "reopen": "Order reopened.",
    "cancel": "Order cancelled.",
}


@dataclass
class Panel:
    """One action's form on the order page. `key` is unique on the page (an action about a
    revision request, fee or flag has one panel per such thing)."""

    action: base.AgentAction
    form: base.OrderForm
    subject: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.action.name

    @property
    def key(self) -> str:
        return f"{self.name}-{self.subject_pk}" if self.name in SUBJECT_FIELDS else self.name

    @property
    def subject_pk(self) -> str:
        if self.subject is not None:
            return str(self.subject.pk)
        return str(self.form.data.get(SUBJECT_FIELDS[self.name], ""))

    @property
    def url(self) -> str:
        return reverse("console-order-action", args=[self.form.order.pk, self.name])


def _shaped(action: base.AgentAction, form: base.OrderForm) -> base.OrderForm:
    if subject_field := SUBJECT_FIELDS.get(action.name):
        form.fields[subject_field].widget = forms.HiddenInput()
    return form


def bound_panel(order: Order, name: str, data) -> Panel | None:
    action = CONSOLE_ACTIONS.get(name)
    if action is None:
        return None
    subject = data.get(SUBJECT_FIELDS[name], "") if name in SUBJECT_FIELDS else ""
    auto_id = f"{name}-{subject}-%s" if subject else f"{name}-%s"
    return Panel(action, _shaped(action, action.form(order, data, auto_id=auto_id)))


def _panel(order: Order, name: str, subject=None, **initial) -> Panel:
    action = CONSOLE_ACTIONS[name]
    if subject is not None:
        initial[SUBJECT_FIELDS[name]] = subject.pk
    auto_id = f"{name}-{subject.pk}-%s" if subject is not None else f"{name}-%s"
    form = action.form(order, initial=initial, auto_id=auto_id)
    return Panel(action, _shaped(action, form), subject=subject)


def _initial(order: Order, agent: User, name: str) -> dict[str, Any]:
    return CONSOLE_ACTIONS[name].initial(order, agent)


# The order page's tab that holds each action's form: beside what the action is about. The
# overview holds the moves of the order as a whole.
ACTION_TABS = {
    "assign": "overview",
    "invite": "overview",
    "link": "overview",
    "offer_linked": "overview",
    "complete": "overview",
    "close": "overview",
    "reopen": "overview",
    "cancel": "overview",
    "request_revision": "work",
    "triage": "work",
    "decide_fee": "work",
    "comment": "conversation",
    "resolve_flag": "conversation",
    "credit": "money",
}


def order_panels(
    order: Order, agent: User, dossier: OrderDossier, *, tab: str, failed: Panel | None = None
) -> list[Panel]:
    """The actions this order's state calls for on `tab`, and the one that just failed (with its
    errors) whether or not the state calls for it."""
    panels: list[Panel] = []

    def offer(name: str, subject=None, **initial) -> Panel | None:
        if ACTION_TABS[name] != tab:
            return None
        panels.append(_panel(order, name, subject, **initial))
        return panels[-1]

    if order.status in {S.OPEN, S.INVITED}:
        offer("assign")
        if order.assignment != Order.Assignment.DIRECT:
            offer("invite")
    offer("link")
    if order.linked_order_id and order.expert_id:
        offer("offer_linked")
    for request in dossier.pending_triage:
        offer("triage", request)
    for fee in dossier.requested_fees:
        offer("decide_fee", fee)
    if order.status in {*DELIVERED_STATUSES, S.REVISION_REQUESTED}:
        offer("complete")
        if order.expert_may_close and ACTION_TABS["close"] == tab:
            info = actions.close_info(order, actor=agent)
            close = offer("close", message=info.farewell_template)
            close.extra["info"] = info
    if order.status in DELIVERED_STATUSES:
        offer("request_revision")
    if order.status == S.COMPLETED:
        offer("reopen")
    for flag in dossier.open_flags:
        offer("resolve_flag", flag)
    offer("comment")
    if ACTION_TABS["credit"] == tab:
        offer("credit", **_initial(order, agent, "credit"))
    if order.status not in CLOSED_STATUSES:
        offer("cancel")
    if failed is not None:
        at = next((i for i, p in enumerate(panels) if p.key == failed.key), None)
        if at is None:
            panels.append(failed)
        else:
            failed.subject, failed.extra = panels[at].subject, panels[at].extra
            panels[at] = failed
    return panels


def quality_forms(
    order: Order,
    dossier: OrderDossier,
    *,
    failed: AppealDecisionForm | ReviewerForm | None = None,
) -> ReviewerForm | None:
    """The Work tab's quality-loop forms: each pending appeal gets its decision form as `form`
    (the refused one keeps its errors); returned, the reviewer form while work waits in QC."""
    for appeal in dossier.appeals:
        appeal.form = None
        if isinstance(failed, AppealDecisionForm) and failed.appeal.pk == appeal.pk:
            appeal.form = failed
        elif appeal.status == Appeal.Status.PENDING:
            appeal.form = AppealDecisionForm(appeal)
    waiting = dossier.waiting_in_qc
    if isinstance(failed, ReviewerForm):
        return failed
    if waiting is None:
        return None
    holder = queries.qc_holder(order, now=clock.now())
    return ReviewerForm(waiting, initial={"reviewer": holder.pk if holder else None})


def arrange_panels(panels: list[Panel], dossier: OrderDossier) -> list[Panel]:
    """Put each panel about one revision request, fee or flag beside that thing (as its
    `panel`, for the template); return the others, which the page lists as its actions."""
    subjects = {
        "triage": dossier.revision_requests,
        "decide_fee": dossier.fee_requests,
        "resolve_flag": dossier.flags,
    }
    general = []
    for panel in panels:
        if panel.name in SUBJECT_FIELDS:
            subject = next((s for s in subjects[panel.name] if str(s.pk) == panel.subject_pk), None)
            if subject is not None:
                subject.panel = panel
                continue
        general.append(panel)  # including a refused one whose subject is gone: its errors show
    return general
