"""The order engine under random use: a Hypothesis state machine drives random sequences of real
actions, by random people, on four orders (writer portal, expert hub, marketplace speedy with QC,
marketplace booking), while a simulated clock moves on; after every step it checks the lifecycle
invariants of DESIGN.md (rules 1, 2, 3, 10, 11 and 12).

People who may not act are tried as often as those who may: they must get a DomainError
(NotFound, NotAllowed, Conflict, InvalidInput), never any other exception.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count, Model, QuerySet
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import DomainError
from atelier.orders import access, actions, timers
from atelier.orders.actions import Upload
from atelier.orders.models import (
    Event,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    QCReview,
    RevisionRequest,
    Submission,
)
from atelier.orders.tests.factories import ServiceFactory, World, doc
from atelier.rewards import services as rewards
from atelier.rewards.models import LedgerEntry

S = Order.Status

# 09:00 in New York on a Monday, a week before the clocks change: rule 7 crosses DST.
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)

# The four orders of every run: (flow preset, fields on top of it).
ORDERS: dict[str, tuple[str, dict[str, object]]] = {
    "writer": (Order.Flow.WRITER_PORTAL, {"due_at": START + timedelta(days=5)}),
    "hub": (Order.Flow.EXPERT_HUB, {}),
    "speedy": (Order.Flow.MARKETPLACE, {"reward_amount": Decimal("80.00")}),
    "booking": (
        Order.Flow.MARKETPLACE,
        {"assignment": Order.Assignment.BOOKING, "reward_currency": "EUR"},
    ),
}
# How far along its flow an order is brought before the random steps start.
STAGES = ("open", "invited", "started", "submitted", "delivered", "opened", "revising", "completed")
PEOPLE = ("customer", "expert", "expert2", "reviewer", "agent", "stranger")
# "rightful" is whoever the action is meant for on that order (its expert, the reviewer, an
# agent...). Drawn half the time, so that runs get deep into the lifecycle, and first, so that
# a shrunk failure shows the rightful person unless the intruder matters.
RIGHTFUL = "rightful"

order_keys = st.sampled_from(tuple(ORDERS))
actors = st.sampled_from((RIGHTFUL,) * len(PEOPLE) + PEOPLE)
PROS = ("expert", "expert2", "stranger")  # the stranger is an expert with no part in the orders
pros = st.sampled_from((*PROS, "reviewer"))  # the reviewer is no expert: refused
moves = st.lists(st.integers(0, 3), min_size=1, max_size=8)  # which of the next moves to make
recent = st.integers(0, 3)  # which object: 0 is the most recent one
amounts = st.sampled_from(("30.00", "12.5", "0", "-5", "0.001", "lots"))
texts = st.sampled_from(("Please add my promotion.", "Tighten the summary.", "", "  "))
REOPEN_TO = ("customer", "expert", "nowhere")  # "nowhere" is refused
uploads = st.lists(
    st.tuples(
        st.sampled_from(("resume.docx", "cover letter.pdf", "../../etc/passwd", "CON.txt")),
        st.sampled_from(("Version one\n", "Version two\n", "")),  # empty: refused
        st.sampled_from(("Resume", "Cover letter", "")),  # untitled: refused for submissions
    ),
    max_size=2,
)

# What rule 10 protects on a completed order: status and how many submissions, comments,
# revision requests and fee requests it has.
LockedState = tuple[str, int, int, int, int]
Drawn = list[tuple[str, str, str]]  # files as drawn: (name, content, title)


def _files(drawn: Drawn) -> list[Upload]:
    return [doc(name, text, title) for name, text, title in drawn]


def _ledger_facts(e: LedgerEntry) -> tuple:
    return (
        e.key,
        e.expert_id,
        e.order_id,
        e.kind,
        e.amount,
        e.currency,
        e.release_at,
        e.releases_id,
        e.created_at,
        e.memo,
    )


def _nth[M: Model](queryset: QuerySet[M], n: int) -> M | None:
    """The n-th most recent object (wrapping around), or None when there is none."""
    objects = list(queryset.order_by("-pk"))
    return objects[n % len(objects)] if objects else None


class OrderEngine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Every example runs in a savepoint rolled back by teardown(), so none leaks into the next.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = START
        with clock.frozen_at(self.now):
            self.world = World.build()
            self.translation = ServiceFactory(
                slug="translation", revision_triage=True, policy__included_revisions=1
            )
        self.people: dict[str, User] = {name: getattr(self.world, name) for name in PEOPLE}
        self.agent = self.world.agent
        self.reviewer = self.world.reviewer
        self.customer = self.world.customer
        self.order_pks: dict[str, int] = {}
        # What the invariants saw before: submissions (rule 2) and ledger entries (rule 11).
        self.seen_submissions: dict[int, tuple] = {}
        self.seen_deliveries: dict[int, tuple[datetime | None, datetime | None]] = {}
        self.seen_ledger: dict[int, tuple] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers -------------------------------------------------------------------------------

    def _order(self, key: str) -> Order:
        return Order.objects.select_related("service", "customer", "expert").get(
            pk=self.order_pks[key]
        )

    def _who(self, actor: str, rightful: User | None) -> User:
        if actor == RIGHTFUL:
            return rightful or self.agent
        return self.people[actor]

    def _locked_states(self, orders: QuerySet[Order]) -> dict[int, LockedState]:
        counted = orders.annotate(
            n_submissions=Count("submissions", distinct=True),
            n_comments=Count("comments", distinct=True),
            n_revisions=Count("revision_requests", distinct=True),
            n_fees=Count("fee_requests", distinct=True),
        )
        return {
            o.pk: (o.status, o.n_submissions, o.n_comments, o.n_revisions, o.n_fees)
            for o in counted
        }

    def _act[T](
        self,
        name: str,
        actor: User | None,
        call: Callable[[], T],
        *,
        order: Order | None = None,
        adds: bool = True,
    ) -> T | None:
        """Run one action at the simulated now. A DomainError is a fine answer (the action was
        refused); any other exception fails the test. `adds`: the action adds to or changes
        the order, so a non-agent must be refused on a completed one (rule 10)."""
        completed = self._locked_states(Order.objects.filter(status=S.COMPLETED))
        try:
            with clock.frozen_at(self.now):
                result = call()
        except DomainError as error:
            event(f"{name}: refused ({type(error).__name__} {error.code})")
            return None
        event(f"{name}: done")
        # Invariant 4: nobody but an agent changes a completed order.
        if completed and not (actor and actor.is_agent):
            after = self._locked_states(Order.objects.filter(pk__in=completed))
            assert after == completed, (
                f"{name} by {actor} changed a completed order: {completed} -> {after}"
            )
            assert not (adds and order is not None and order.pk in completed), (
                f"{name} by {actor} succeeded on completed order #{order.pk}"
            )
        return result

    # -- setting up ----------------------------------------------------------------------------

    @initialize(
        triaged=st.frozensets(order_keys),
        stages=st.fixed_dictionaries({key: st.sampled_from(STAGES) for key in ORDERS}),
        waited=st.sampled_from((0, 1, 8, 31)),
    )
    def create_orders(self, triaged: frozenset[str], stages: dict[str, str], waited: int) -> None:
        # given: the four orders, those in `triaged` for a service whose revisions an agent
        # checks, each brought to its drawn stage by the rightful people (random steps alone
        # rarely get far), and `waited` days gone by since (closing, releasing rewards)
        with clock.frozen_at(self.now):
            for key, (flow, fields) in ORDERS.items():
                service = self.translation if key in triaged else self.world.service
                order = self.world.order(flow, service=service, title=f"The {key} order", **fields)
                self.order_pks[key] = order.pk
                self._head_start(order, STAGES.index(stages[key]))
        self.now += timedelta(days=waited)

    def _head_start(self, order: Order, stage: int) -> None:
        w = self.world
        if stage >= STAGES.index("invited") and order.assignment != Order.Assignment.DIRECT:
            actions.invite_experts(order, actor=w.agent, experts=[w.expert, w.expert2])
        if stage >= STAGES.index("started"):
            if order.assignment == Order.Assignment.DIRECT:
                actions.assign_expert(order, actor=w.agent, expert=w.expert)
            else:
                invitation = order.invitations.get(expert=w.expert)
                actions.accept_invitation(invitation, actor=w.expert)
        if stage >= STAGES.index("submitted"):
            submission = w.submit(order)
        if stage >= STAGES.index("delivered") and order.qc_required:
            w.approve(submission)
        if stage >= STAGES.index("opened"):
            w.open_latest(order)
        if stage >= STAGES.index("revising"):
            w.revise(order)
        if stage >= STAGES.index("completed"):
            actions.complete_order(order, actor=w.agent)

    # -- time ----------------------------------------------------------------------------------

    @rule(
        step=st.one_of(
            st.integers(1, 48).map(lambda h: timedelta(hours=h)),
            st.integers(1, 31).map(lambda d: timedelta(days=d)),
        ),
        sweep=st.booleans(),
    )
    def pass_time(self, step: timedelta, sweep: bool) -> None:
        # when: time passes, and maybe the system's periodic sweep runs: closable, reminders,
        # overdue, and the release of what is due
        self.now += step
        if sweep:
            self._act("timers", None, lambda: timers.run(self.now), adds=False)
            self._act("release_due", None, rewards.release_due, adds=False)

    # -- the rightful next move -----------------------------------------------------------------

    # One rule per order, each making a few moves, so that runs go deep into every flow; the
    # rules further down bring everybody else and the odd input.
    @rule(choices=moves)
    def next_moves_writer(self, choices: list[int]) -> None:
        self._next_moves("writer", choices)

    @rule(choices=moves)
    def next_moves_hub(self, choices: list[int]) -> None:
        self._next_moves("hub", choices)

    @rule(choices=moves)
    def next_moves_speedy(self, choices: list[int]) -> None:
        self._next_moves("speedy", choices)

    @rule(choices=moves)
    def next_moves_booking(self, choices: list[int]) -> None:
        self._next_moves("booking", choices)

    def _next_moves(self, key: str, choices: list[int]) -> None:
        for choice in choices:
            self._next_move(key, choice)

    def _next_move(self, key: str, choice: int) -> None:
        """What the rightful person would do next with the order in its status."""
        order = self._order(key)
        latest = order.submissions.order_by("-number").first()
        request = order.revision_requests.order_by("-pk").first()
        match order.status:
            case S.OPEN if order.assignment == Order.Assignment.DIRECT:
                self.assign_expert(key, RIGHTFUL, ("expert", "expert2")[choice % 2])
            case S.OPEN if choice < 2:
                self.invite_experts(key, RIGHTFUL, ["expert", "expert2"])
            case S.OPEN:
                # e.g. when every invited pro declined
                self.assign_expert(key, RIGHTFUL, ("expert", "expert2")[choice % 2])
            case S.INVITED if choice == 2:
                # an agent steps in on open invitations
                self.assign_expert(key, RIGHTFUL, "expert")
            case S.INVITED:
                # 0: the first pro invited accepts; 1: the last one declines; 3: the first declines
                pending = list(
                    order.invitations.filter(status=Invitation.Status.PENDING).order_by("pk")
                )
                if not pending:
                    return
                invitation = pending[-1] if choice == 1 else pending[0]
                pro = invitation.expert
                answer = actions.accept_invitation if choice == 0 else actions.decline_invitation
                self._act(
                    "answer_invitation", pro, lambda: answer(invitation, actor=pro), order=order
                )
            case S.IN_QC:
                assert latest is not None
                verdict = QCReview.Decision.REVISE if choice == 3 else QCReview.Decision.APPROVE
                self._act(
                    "review_submission",
                    self.reviewer,
                    lambda: actions.review_submission(
                        latest, actor=self.reviewer, decision=verdict, comments="Tighter."
                    ),
                    order=order,
                )
            case S.DELIVERED | S.REVISION_SUBMITTED if choice == 1:
                self.request_revision(key, RIGHTFUL, "Please add my promotion.", [])
            case S.DELIVERED | S.REVISION_SUBMITTED if choice == 3 and order.expert_may_close:
                self.request_close(key, RIGHTFUL, "The customer is happy.")
            case S.DELIVERED | S.REVISION_SUBMITTED if latest and not latest.customer_opened_at:
                # the latest submission is the delivered one in these statuses
                self._act(
                    "mark_delivery_opened",
                    self.customer,
                    lambda: actions.mark_delivery_opened(latest, actor=self.customer),
                    order=order,
                    adds=False,
                )
            case S.DELIVERED | S.REVISION_SUBMITTED if order.expert_may_close:
                self.close_order(key, RIGHTFUL, "keep")
            case S.DELIVERED | S.REVISION_SUBMITTED:
                self.complete_order(key, RIGHTFUL)
            case S.REVISION_REQUESTED if (
                request and request.status == RevisionRequest.Status.PENDING_TRIAGE
            ):
                decision = ("in_scope", "fee", "rejected", "fee")[choice]
                self._act(
                    "triage_revision",
                    self.agent,
                    lambda: actions.triage_revision(
                        request, actor=self.agent, decision=decision, reason="Hm.", fee_amount="25"
                    ),
                    order=order,
                )
            case S.REVISION_REQUESTED if (
                request and request.status == RevisionRequest.Status.AWAITING_FEE
            ):
                fee = request.fee_requests.get()
                self._act(
                    "respond_to_fee",
                    self.customer,
                    lambda: actions.respond_to_fee(fee, actor=self.customer, accept=choice < 3),
                    order=order,
                )
            case S.IN_PROGRESS | S.REVISION_REQUESTED:
                self.submit_work(key, RIGHTFUL, [("resume.docx", "Words\n", "Resume")], "")
            case S.COMPLETED if choice < 2:
                # back to the customer's decision, or back to the expert
                back_to = ("customer", "expert")[choice]
                self.reopen_order(key, RIGHTFUL, "The customer found a typo.", back_to)

    # -- rule 1: assignment and invitations ------------------------------------------------------

    @rule(key=order_keys, actor=actors, pro=pros)
    def assign_expert(self, key: str, actor: str, pro: str) -> None:
        order = self._order(key)
        who = self._who(actor, self.agent)
        self._act(
            "assign_expert",
            who,
            lambda: actions.assign_expert(order, actor=who, expert=self.people[pro]),
            order=order,
        )

    @rule(key=order_keys, actor=actors, invited=st.lists(pros, max_size=3))
    def invite_experts(self, key: str, actor: str, invited: list[str]) -> None:
        order = self._order(key)
        who = self._who(actor, self.agent)
        experts = [self.people[name] for name in invited]
        self._act(
            "invite_experts",
            who,
            lambda: actions.invite_experts(order, actor=who, experts=experts),
            order=order,
        )

    @precondition(lambda self: Invitation.objects.exists())
    @rule(n=recent, actor=actors)
    def accept_invitation(self, n: int, actor: str) -> None:
        invitation = _nth(Invitation.objects.all(), n)
        assert invitation is not None
        who = self._who(actor, invitation.expert)
        # A double click on an invitation already won changes nothing: not an addition.
        self._act(
            "accept_invitation",
            who,
            lambda: actions.accept_invitation(invitation, actor=who),
            order=invitation.order,
            adds=False,
        )

    @precondition(lambda self: Invitation.objects.exists())
    @rule(n=recent, actor=actors)
    def decline_invitation(self, n: int, actor: str) -> None:
        invitation = _nth(Invitation.objects.all(), n)
        assert invitation is not None
        who = self._who(actor, invitation.expert)
        self._act(
            "decline_invitation",
            who,
            lambda: actions.decline_invitation(invitation, actor=who, reason="Too busy."),
            order=invitation.order,
        )

    # -- rules 2, 3 and 6: submissions, QC, delivery ---------------------------------------------

    @rule(key=order_keys, actor=actors, files=uploads, notes=texts)
    def submit_work(self, key: str, actor: str, files: Drawn, notes: str) -> None:
        order = self._order(key)
        who = self._who(actor, order.expert)
        self._act(
            "submit_work",
            who,
            lambda: actions.submit_work(order, actor=who, files=_files(files), notes=notes),
            order=order,
        )

    @precondition(lambda self: Submission.objects.filter(order__qc_required=True).exists())
    @rule(
        n=recent,
        actor=actors,
        decision=st.sampled_from(("approve", "approve", "revise", "maybe")),
        comments=texts,
    )
    def review_submission(self, n: int, actor: str, decision: str, comments: str) -> None:
        submission = _nth(Submission.objects.filter(order__qc_required=True), n)
        assert submission is not None
        who = self._who(actor, self.reviewer)
        self._act(
            "review_submission",
            who,
            lambda: actions.review_submission(
                submission, actor=who, decision=decision, comments=comments
            ),
            order=submission.order,
        )

    @precondition(lambda self: Submission.objects.exists())
    @rule(n=recent, actor=actors)
    def mark_delivery_opened(self, n: int, actor: str) -> None:
        submission = _nth(Submission.objects.select_related("order"), n)
        assert submission is not None
        who = self._who(actor, self.customer)
        # Opening a delivery (even on a completed order) is reading, not changing.
        self._act(
            "mark_delivery_opened",
            who,
            lambda: actions.mark_delivery_opened(submission, actor=who),
            order=submission.order,
            adds=False,
        )

    # -- rules 4 and 5: revision requests, triage, fees ------------------------------------------

    @rule(key=order_keys, actor=actors, comments=texts, files=uploads)
    def request_revision(self, key: str, actor: str, comments: str, files: Drawn) -> None:
        order = self._order(key)
        who = self._who(actor, self.customer)
        self._act(
            "request_revision",
            who,
            lambda: actions.request_revision(
                order, actor=who, comments=comments, files=_files(files)
            ),
            order=order,
        )

    @precondition(lambda self: RevisionRequest.objects.exists())
    @rule(
        n=recent,
        actor=actors,
        decision=st.sampled_from(("in_scope", "fee", "rejected", "later")),
        reason=texts,
        fee=st.none() | amounts,
    )
    def triage_revision(
        self, n: int, actor: str, decision: str, reason: str, fee: str | None
    ) -> None:
        request = _nth(RevisionRequest.objects.all(), n)
        assert request is not None
        who = self._who(actor, self.agent)
        self._act(
            "triage_revision",
            who,
            lambda: actions.triage_revision(
                request, actor=who, decision=decision, reason=reason, fee_amount=fee
            ),
            order=request.order,
        )

    @rule(key=order_keys, actor=actors, amount=amounts, reason=texts)
    def request_fee(self, key: str, actor: str, amount: str, reason: str) -> None:
        order = self._order(key)
        who = self._who(actor, order.expert)
        self._act(
            "request_fee",
            who,
            lambda: actions.request_fee(order, actor=who, amount=amount, reason=reason),
            order=order,
        )

    @precondition(lambda self: FeeRequest.objects.exists())
    @rule(n=recent, actor=actors, approve=st.booleans())
    def decide_fee(self, n: int, actor: str, approve: bool) -> None:
        fee = _nth(FeeRequest.objects.all(), n)
        assert fee is not None
        who = self._who(actor, self.agent)
        self._act(
            "decide_fee",
            who,
            lambda: actions.decide_fee(fee, actor=who, approve=approve, note="Fair."),
            order=fee.order,
        )

    @precondition(lambda self: FeeRequest.objects.exists())
    @rule(n=recent, actor=actors, accept=st.booleans())
    def respond_to_fee(self, n: int, actor: str, accept: bool) -> None:
        fee = _nth(FeeRequest.objects.all(), n)
        assert fee is not None
        who = self._who(actor, self.customer)
        self._act(
            "respond_to_fee",
            who,
            lambda: actions.respond_to_fee(fee, actor=who, accept=accept),
            order=fee.order,
        )

    # -- rules 7 to 10: completion, close and farewell, reopen, cancel ---------------------------

    @rule(key=order_keys, actor=actors)
    def complete_order(self, key: str, actor: str) -> None:
        order = self._order(key)
        who = self._who(actor, self.customer)
        self._act(
            "complete_order", who, lambda: actions.complete_order(order, actor=who), order=order
        )

    @rule(
        key=order_keys,
        actor=actors,
        edit=st.sampled_from(("keep", "keep", "personal", "drop link", "empty")),
    )
    def close_order(self, key: str, actor: str, edit: str) -> None:
        order = self._order(key)
        who = self._who(actor, order.expert if order.expert_may_close else self.agent)

        def close() -> actions.CloseInfo:
            # when: the close page is shown and its farewell draft sent, maybe edited
            info = actions.close_info(order, actor=who)
            message = {
                "keep": info.farewell_template,
                "personal": "Thank you again!\n\n" + info.farewell_template,
                "drop link": info.farewell_template.split("Your documents:")[0],
                "empty": "",
            }[edit]
            actions.close_order(order, actor=who, message=message)
            return info

        info = self._act("close_order", who, close, order=order)
        if info is not None and not who.is_agent:
            # then: the expert closed alone only once eligible (rule 7) and unblocked (rule 8)
            assert not info.blockers
            first = order.submissions.filter(delivered_at__isnull=False).earliest("delivered_at")
            assert info.closable_at is not None and self.now >= info.closable_at
            assert info.closable_at >= first.delivered_at + timedelta(days=7, hours=-1)

    @rule(key=order_keys, actor=actors, note=texts)
    def request_close(self, key: str, actor: str, note: str) -> None:
        order = self._order(key)
        who = self._who(actor, order.expert)
        self._act(
            "request_close",
            who,
            lambda: actions.request_close(order, actor=who, note=note),
            order=order,
        )

    @rule(key=order_keys, actor=actors, reason=texts, back_to=st.sampled_from(REOPEN_TO))
    def reopen_order(self, key: str, actor: str, reason: str, back_to: str) -> None:
        order = self._order(key)
        who = self._who(actor, self.agent)
        self._act(
            "reopen_order",
            who,
            lambda: actions.reopen_order(order, actor=who, reason=reason, back_to=back_to),
            order=order,
        )

    # Mostly refused for lack of a reason: a cancelled order has no future, so cancelling
    # every time would cut most runs short.
    @rule(key=order_keys, actor=actors, reason=st.sampled_from(("",) * 7 + ("Changed my mind.",)))
    def cancel_order(self, key: str, actor: str, reason: str) -> None:
        order = self._order(key)
        who = self._who(actor, self.agent)
        self._act(
            "cancel_order",
            who,
            lambda: actions.cancel_order(order, actor=who, reason=reason),
            order=order,
        )

    # -- the conversation and flags --------------------------------------------------------------

    @rule(key=order_keys, actor=actors, body=texts, files=uploads)
    def post_comment(self, key: str, actor: str, body: str, files: Drawn) -> None:
        order = self._order(key)
        who = self._who(actor, self.customer)
        self._act(
            "post_comment",
            who,
            lambda: actions.post_comment(order, actor=who, body=body, files=_files(files)),
            order=order,
        )

    @rule(
        key=order_keys,
        actor=actors,
        kind=st.sampled_from([*Flag.Kind.values, "gossip"]),  # system kinds and nonsense: refused
        note=texts,
    )
    def raise_flag(self, key: str, actor: str, kind: str, note: str) -> None:
        order = self._order(key)
        who = self._who(actor, order.expert)
        self._act(
            "raise_flag",
            who,
            lambda: actions.raise_flag(order, actor=who, kind=kind, note=note),
            order=order,
        )

    @precondition(lambda self: Flag.objects.exists())
    @rule(n=recent, actor=actors)
    def resolve_flag(self, n: int, actor: str) -> None:
        flag = _nth(Flag.objects.all(), n)
        assert flag is not None
        who = self._who(actor, self.agent)
        self._act(
            "resolve_flag",
            who,
            lambda: actions.resolve_flag(flag, actor=who, resolution="Talked to them."),
            order=flag.order,
        )

    # -- rule 11: manual credits -----------------------------------------------------------------

    @rule(
        actor=actors,
        pro=pros,
        amount=amounts,
        currency=st.sampled_from(("USD", "EUR", "usd", "US$")),
        key=st.none() | order_keys,
    )
    def credit_expert(
        self, actor: str, pro: str, amount: str, currency: str, key: str | None
    ) -> None:
        order = self._order(key) if key else None
        who = self._who(actor, self.agent)
        self._act(
            "credit_expert",
            who,
            lambda: actions.credit_expert(
                self.people[pro],
                actor=who,
                amount=amount,
                currency=currency,
                memo="Thanks for the rush job.",
                order=order,
            ),
            order=order,
        )

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def one_expert_per_order(self) -> None:
        """Rule 1: one expert, one accepted invitation, and they agree."""
        invitations = list(Invitation.objects.values_list("order_id", "expert_id", "status"))
        for order in Order.objects.all():
            mine = [(expert, status) for pk, expert, status in invitations if pk == order.pk]
            accepted = [expert for expert, status in mine if status == Invitation.Status.ACCEPTED]
            assert len(accepted) <= 1, f"order #{order.pk} has invitations accepted by {accepted}"
            if accepted:
                assert order.expert_id == accepted[0], (
                    f"order #{order.pk}: accepted by user {accepted[0]}, "
                    f"assigned to user {order.expert_id}"
                )
            if order.expert_id is not None:
                own = [status for expert, status in mine if expert == order.expert_id]
                assert own in ([], [Invitation.Status.ACCEPTED]), (
                    f"order #{order.pk} ({order.status}) is assigned to user {order.expert_id}, "
                    f"whose invitation is {own}"
                )

    @invariant()
    def submissions_never_change(self) -> None:
        """Rule 2: never edited or deleted; delivered and opened are each filled in once."""
        current = {}
        moments = {}
        for s in Submission.objects.prefetch_related("files"):
            files = tuple((f.sha256, f.name, f.title) for f in s.files.all())
            current[s.pk] = (s.order_id, s.number, s.kind, s.notes, s.expert_id, files)
            moments[s.pk] = (s.delivered_at, s.customer_opened_at)
        for pk, facts in self.seen_submissions.items():
            assert current.get(pk) == facts, (
                f"submission {pk} changed: {facts} -> {current.get(pk)}"
            )
            for before, now, what in zip(
                self.seen_deliveries[pk], moments[pk], ("delivered", "opened"), strict=True
            ):
                assert before is None or before == now, f"submission {pk} {what} {before} -> {now}"
        self.seen_submissions = current
        self.seen_deliveries = moments

    @invariant()
    def qc_gates_the_customer(self) -> None:
        """Rule 3: on QC orders the customer sees only what a reviewer approved."""
        submissions = Submission.objects.filter(order__qc_required=True).select_related("order")
        for s in submissions.prefetch_related("reviews"):
            approved = any(r.decision == QCReview.Decision.APPROVE for r in s.reviews.all())
            if s.delivered_at is not None:
                assert approved, f"submission {s.pk} was delivered without QC approval"
            if not approved:
                assert not access.can_see_submission(self.customer, s), (
                    f"the customer sees submission {s.pk}, not approved by QC"
                )
            else:
                assert s.delivered_at is not None, f"approved submission {s.pk} not delivered"

    @invariant()
    def every_status_change_has_its_event(self) -> None:
        """Rule 12: the timeline's from -> to chain runs from "open" to the current status."""
        timelines: dict[int, list[tuple[str, str]]] = {}
        events = Event.objects.exclude(to_status="").order_by("pk")
        for order_id, from_status, to_status in events.values_list(
            "order_id", "from_status", "to_status"
        ):
            timelines.setdefault(order_id, []).append((from_status, to_status))
        statuses = dict(Order.objects.values_list("pk", "status"))
        for key, pk in self.order_pks.items():
            status = ""
            for from_status, to_status in timelines.get(pk, []):
                assert from_status == status, (
                    f"{key} order: event {from_status}->{to_status} follows {status or 'nothing'}"
                )
                status = to_status
            assert status == statuses[pk], (
                f"{key} order is {statuses[pk]} but its timeline ends at {status}"
            )
            event(f"{key} order reached {status}")

    @invariant()
    def balances_are_sums_of_the_ledger(self) -> None:
        """Rule 11: an append-only ledger; balances are its sums; nothing released early."""
        entries = list(LedgerEntry.objects.all())
        frozen = {e.pk: _ledger_facts(e) for e in entries}
        for pk, facts in self.seen_ledger.items():
            assert frozen.get(pk) == facts, f"ledger entry {pk}: {facts} -> {frozen.get(pk)}"
        self.seen_ledger = frozen

        Kind = LedgerEntry.Kind
        by_pk = {e.pk: e for e in entries}
        for e in entries:
            if e.kind == Kind.RELEASE:
                held = by_pk[e.releases_id]
                assert e.created_at >= held.release_at, f"{held.key} released before its hold"
        for person in User.objects.filter(pk__in={e.expert_id for e in entries}):
            expected: dict[str, tuple[Decimal, Decimal]] = {}
            for e in entries:
                if e.expert_id != person.pk:
                    continue
                pending, available = expected.get(e.currency, (Decimal(0), Decimal(0)))
                if e.kind in LedgerEntry.PENDING_KINDS:
                    pending += e.amount
                elif e.kind == Kind.RELEASE:
                    pending, available = pending - e.amount, available + e.amount
                else:
                    available += e.amount
                expected[e.currency] = (pending, available)
            actual = {b.currency: (b.pending, b.available) for b in rewards.balances(person)}
            assert actual == expected, f"balances of {person.email}: {actual} != {expected}"


# About 30-60 s on two cores; not derandomized: every run explores new sequences.
EXPLORATION = settings(
    max_examples=60,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # No "explain" phase: replaying the failure to point at lines costs minutes here.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)


@pytest.mark.django_db
def test_order_engine_keeps_its_invariants(request) -> None:
    # `pytest --deep` (make test PYTEST_ARGS=--deep) explores ten times as many sequences.
    examples = EXPLORATION.max_examples * (10 if request.config.getoption("--deep") else 1)
    run_state_machine_as_test(OrderEngine, settings=settings(EXPLORATION, max_examples=examples))
