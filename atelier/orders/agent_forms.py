"""The forms of the agent's actions on one order, each paired with the action it calls: the admin
shows them, and the agent console (backoffice/forms.py) builds its panels on them. Each form only
shapes input; the action it calls decides."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms

from atelier.accounts.models import User
from atelier.orders import actions
from atelier.orders.models import FeeRequest, Flag, Order, RevisionRequest


def _experts() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        User.objects.filter(is_expert=True, is_active=True), to_field_name="email"
    )


class OrderForm(forms.Form):
    def __init__(self, order: Order, *args, **kwargs):
        self.order = order
        super().__init__(*args, **kwargs)


class AssignForm(OrderForm):
    expert = _experts()


class InviteForm(OrderForm):
    experts = forms.ModelMultipleChoiceField(
        User.objects.filter(is_expert=True, is_active=True),
        help_text="The pros to invite; for speedy and contest orders the first to accept wins.",
    )


class LinkForm(OrderForm):
    linked_order = forms.ModelChoiceField(
        Order.objects.all(),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1}),
        label="Linked order #",
        help_text="The follow-up order's number (a translation's proofreading, offered to the pros "
        "who miss this one). Empty: unlink.",
        error_messages={"invalid_choice": "There is no order with this number."},
    )

    def __init__(self, order, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("linked_order", order.linked_order_id)
        super().__init__(order, *args, **kwargs)


class ReasonForm(OrderForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(ReasonForm):
    back_to = forms.ChoiceField(
        label="Where the work goes",
        choices=actions.ReopenTo.choices,
        widget=forms.RadioSelect,
        help_text="The customer and the expert are told, with your reason.",
    )


class ConfirmForm(OrderForm):
    confirm = forms.BooleanField(label="Yes, do this", required=True)


class TriageForm(OrderForm):
    request = forms.ModelChoiceField(RevisionRequest.objects.none(), label="Revision request")
    decision = forms.ChoiceField(choices=RevisionRequest.Triage.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    fee_amount = forms.DecimalField(required=False, max_digits=12, decimal_places=2)
    fee_currency = forms.CharField(required=False, max_length=3)

    def __init__(self, order, *args, **kwargs):
        super().__init__(order, *args, **kwargs)
        self.fields["request"].queryset = order.revision_requests.filter(
            status=RevisionRequest.Status.PENDING_TRIAGE
        )


class FeeDecisionForm(OrderForm):
    fee = forms.ModelChoiceField(FeeRequest.objects.none(), label="Fee request")
    approve = forms.TypedChoiceField(
        choices=[("yes", "Approve: quote it to the customer"), ("no", "Reject")],
        coerce=lambda v: v == "yes",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, order, *args, **kwargs):
        super().__init__(order, *args, **kwargs)
        self.fields["fee"].queryset = order.fee_requests.filter(status=FeeRequest.Status.REQUESTED)


class CloseForm(OrderForm):
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "cols": 90}),
        help_text="Edit freely, but keep the line with the link exactly as it is.",
    )


class CreditForm(OrderForm):
    expert = _experts()
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = forms.CharField(max_length=3, initial="USD")
    memo = forms.CharField(max_length=300)
    key = forms.CharField(widget=forms.HiddenInput, required=False)


class CommentForm(OrderForm):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))


class RevisionForm(OrderForm):
    comments = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="On the customer's behalf."
    )


class ResolveFlagForm(OrderForm):
    flag = forms.ModelChoiceField(Flag.objects.none())
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, order, *args, **kwargs):
        super().__init__(order, *args, **kwargs)
        self.fields["flag"].queryset = order.flags.filter(resolved_at__isnull=True)


@dataclass(frozen=True)
class AgentAction:
    name: str
    label: str
    form: type[OrderForm]
    run: Callable[[Order, User, dict[str, Any]], Any]
    initial: Callable[[Order, User], dict[str, Any]] = lambda order, user: {}


AGENT_ACTIONS: dict[str, AgentAction] = {
    a.name: a
    for a in [
        AgentAction(
            "assign",
            "Assign an expert",
            AssignForm,
            lambda o, u, d: actions.assign_expert(o, actor=u, expert=d["expert"]),
        ),
        AgentAction(
            "invite",
            "Invite pros",
            InviteForm,
            lambda o, u, d: actions.invite_experts(o, actor=u, experts=list(d["experts"])),
        ),
        AgentAction(
            "link",
            "Link a follow-up order",
            LinkForm,
            lambda o, u, d: actions.link_order(o, actor=u, linked=d["linked_order"]),
        ),
        AgentAction(
            "offer_linked",
            "Offer the linked order to the pros who missed this one",
            ConfirmForm,
            lambda o, u, d: actions.offer_linked_order(o, actor=u),
        ),
        AgentAction(
            "triage",
            "Triage a revision request",
            TriageForm,
            lambda o, u, d: actions.triage_revision(
                d["request"],
                actor=u,
                decision=d["decision"],
                reason=d["reason"],
                fee_amount=d["fee_amount"],
                fee_currency=d["fee_currency"] or None,
            ),
        ),
        AgentAction(
            "decide_fee",
            "Decide a fee request",
            FeeDecisionForm,
            lambda o, u, d: actions.decide_fee(
                d["fee"], actor=u, approve=d["approve"], note=d["note"]
            ),
        ),
        AgentAction(
            "request_revision",
            "Request a revision",
            RevisionForm,
            lambda o, u, d: actions.request_revision(o, actor=u, comments=d["comments"]),
        ),
        AgentAction(
            "complete",
            "Complete the order",
            ConfirmForm,
            lambda o, u, d: actions.complete_order(o, actor=u),
        ),
        AgentAction(
            "close",
            "Close with farewell",
            CloseForm,
            lambda o, u, d: actions.close_order(o, actor=u, message=d["message"]),
            lambda o, u: {"message": actions.close_info(o, actor=u).farewell_template},
        ),
        AgentAction(
            "comment",
            "Post a comment",
            CommentForm,
            lambda o, u, d: actions.post_comment(o, actor=u, body=d["body"]),
        ),
        AgentAction(
            "resolve_flag",
            "Resolve a flag",
            ResolveFlagForm,
            lambda o, u, d: actions.resolve_flag(d["flag"], actor=u, resolution=d["resolution"]),
        ),
        AgentAction(
            "credit",
            "Credit an expert",
            CreditForm,
            lambda o, u, d: actions.credit_expert(
                d["expert"],
                actor=u,
                amount=d["amount"],
                currency=d["currency"],
                memo=d["memo"],
                order=o,
                key=d["key"] or None,
            ),
            lambda o, u: {
                "expert": o.expert,
                "currency": o.reward_currency,
                "key": uuid.uuid4().hex,
            },
        ),
        AgentAction(
            "reopen",
            "Reopen",
            ReopenForm,
            lambda o, u, d: actions.reopen_order(
                o, actor=u, reason=d["reason"], back_to=d["back_to"]
            ),
        ),
        AgentAction(
            "cancel",
            "Cancel the order",
            ReasonForm,
            lambda o, u, d: actions.cancel_order(o, actor=u, reason=d["reason"]),
        ),
    ]
}
