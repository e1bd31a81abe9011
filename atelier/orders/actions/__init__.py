"""Everything a person or the system can do to an order: one function per action, a module per
stage of the order's life.

Each action checks the actor's right (access.py), locks the order and checks its state, makes the
change, records the timeline event and writes the notifications it causes, all in one database
transaction, and raises a DomainError with a stable code when it cannot.

    common         helpers the stages share (private to this package)
    placing        create and place an order, add documents, assign an expert     rule 1
    invitations    invite pros, accept (first accept wins), decline, linked order  rule 1
    submissions    submit work, QC review, delivery, opened deliveries            rules 2, 3, 6
    revisions      revision requests, triage, fees                                rules 4, 5
    quality        QC claims and reassignment, appeals of a send-back            rule 3
    extensions     the expert asks for more time; the customer or an agent answers
    closing        complete, close with farewell, request close, the link         rules 7-10
    feedback       after completion: rate and tip, order again (book the same expert)
    conversation   comments and flags
    system         what the clock does: overdue, closable, reminders, auto-complete
    agents         reopen, cancel, manual credit, link an order to its follow-up

A module imports only from the modules above it in this list, never from one below. Callers use
the names exported here: `from atelier.orders import actions`, then `actions.submit_work(...)`.
"""

from .agents import ReopenTo, cancel_order, credit_expert, link_order, reopen_order
from .closing import (
    FAREWELL_TEMPLATE,
    CloseInfo,
    close_info,
    close_order,
    complete_order,
    find_access_link,
    request_close,
)
from .common import Upload
from .conversation import post_comment, raise_flag, resolve_flag
from .extensions import answer_extension, request_extension
from .feedback import bookable_expert, order_again, rate_order
from .invitations import accept_invitation, decline_invitation, invite_experts, offer_linked_order
from .placing import add_attachments, assign_expert, create_order, place_order
from .quality import (
    appeal_review,
    appealable_review,
    assign_reviewer,
    claim_review,
    decide_appeal,
    release_review,
)
from .revisions import decide_fee, request_fee, request_revision, respond_to_fee, triage_revision
from .submissions import (
    mark_deliveries_opened,
    mark_delivery_opened,
    mark_file_opened,
    review_submission,
    submit_work,
)
from .system import (
    complete_automatically,
    flag_overdue,
    remind_customer,
    tell_expert_closable,
    warn_auto_complete,
)

__all__ = [
    "FAREWELL_TEMPLATE",
    "CloseInfo",
    "ReopenTo",
    "Upload",
    "accept_invitation",
    "add_attachments",
    "answer_extension",
    "appeal_review",
    "appealable_review",
    "assign_expert",
    "assign_reviewer",
    "bookable_expert",
    "cancel_order",
    "claim_review",
    "close_info",
    "close_order",
    "complete_automatically",
    "complete_order",
    "create_order",
    "credit_expert",
    "decide_appeal",
    "decide_fee",
    "decline_invitation",
    "find_access_link",
    "flag_overdue",
    "invite_experts",
    "link_order",
    "mark_deliveries_opened",
    "mark_delivery_opened",
    "mark_file_opened",
    "offer_linked_order",
    "order_again",
    "place_order",
    "post_comment",
    "raise_flag",
    "rate_order",
    "release_review",
    "remind_customer",
    "reopen_order",
    "request_close",
    "request_extension",
    "request_fee",
    "request_revision",
    "resolve_flag",
    "respond_to_fee",
    "review_submission",
    "submit_work",
    "tell_expert_closable",
    "triage_revision",
    "warn_auto_complete",
]
