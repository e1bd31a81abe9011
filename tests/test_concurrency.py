"""DESIGN rule 1, "first accept wins", under real concurrency.

Fifty pros, each on their own database connection, accept the same speedy order at the same
moment: exactly one wins, every other one is told "taken", nobody gets an error. It runs on
whatever DATABASE_URL selects (SQLite by default, PostgreSQL in CI's second pass).

The database is transactional (no wrapping TestCase transaction): each thread's accept commits
for real, so a lock that does not serialise, or a check made before the lock, shows up here.
"""

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from atelier.accounts.models import User
from atelier.core.errors import Conflict, DomainError
from atelier.notifications.models import Notification
from atelier.orders import access, actions
from atelier.orders.models import Event, Invitation, Order
from atelier.orders.tests.factories import UserFactory, World

pytestmark = pytest.mark.django_db(transaction=True)

EXPERTS = 50
ROUNDS = 20
# Seconds a thread may wait at the barrier, and the main thread for the threads to finish.
# Generous: SQLite queues writers for up to 30 s (settings), a hung race must still end the test.
PATIENCE = 90


def _outcome_of(exc: BaseException) -> str:
    if isinstance(exc, Conflict) and exc.code == "taken":
        return "taken"
    if isinstance(exc, DomainError):
        return f"{type(exc).__name__}(code={exc.code!r}, message={exc.message!r})"
    return repr(exc)


def _race(invitations: list[Invitation]) -> dict[int, str]:
    """Every invited pro accepts their own invitation at once, each thread on its own database
    connection. Returns the outcome per expert pk: "won", "taken" or the unexpected error."""
    barrier = threading.Barrier(len(invitations))
    outcomes: dict[int, str] = {}

    def accept(invitation: Invitation) -> None:
        outcome = "never finished"
        try:
            # Connect before the barrier, so the accepts collide rather than the connects.
            connection.ensure_connection()
            barrier.wait(timeout=PATIENCE)
            actions.accept_invitation(invitation, actor=invitation.expert)
            outcome = "won"
        except BaseException as exc:
            outcome = _outcome_of(exc)
            if not isinstance(exc, Conflict):
                barrier.abort()  # a thread that cannot race must not leave the others waiting
        finally:
            connection.close()
            outcomes[invitation.expert_id] = outcome

    threads = [threading.Thread(target=accept, args=(inv,), daemon=True) for inv in invitations]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + PATIENCE
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    for invitation, thread in zip(invitations, threads, strict=True):
        if thread.is_alive():
            outcomes.setdefault(invitation.expert_id, "still running after the deadline")
    return outcomes


def _problems(order: Order, outcomes: dict[int, str]) -> list[str]:
    """Everything that breaks rule 1 after one race, as readable lines (empty when all is well)."""
    problems = []
    counts = Counter(outcomes.values())
    if counts["won"] != 1 or counts["taken"] != EXPERTS - 1 or len(counts) > 2:
        problems.append(f"outcomes {dict(counts)}")
    winners = [pk for pk, outcome in outcomes.items() if outcome == "won"]

    order.refresh_from_db()
    accepted = list(
        order.invitations.filter(status=Invitation.Status.ACCEPTED).values_list(
            "expert_id", flat=True
        )
    )
    if len(accepted) != 1:
        problems.append(f"{len(accepted)} accepted invitations in the database")
    if order.status != Order.Status.IN_PROGRESS:
        problems.append(f"order status is {order.status!r}, not 'in_progress'")
    if len(winners) == 1:
        winner = winners[0]
        if order.expert_id != winner:
            problems.append(f"order.expert is {order.expert_id}, the winner was {winner}")
        if accepted != [winner]:
            problems.append(f"accepted invitation belongs to {accepted}, the winner was {winner}")
        not_taken = dict(
            order.invitations.exclude(expert_id=winner)
            .exclude(status=Invitation.Status.TAKEN)
            .values_list("expert_id", "status")
        )
        if not_taken:
            problems.append(f"losers' invitations not 'taken': {not_taken}")

    accepted_events = Event.objects.filter(order=order, verb="invitation.accepted").count()
    if accepted_events != 1:
        problems.append(f"{accepted_events} 'invitation.accepted' events")
    # The side effects happened once too: one "assigned" note, one "taken" note per loser.
    assigned = Notification.objects.filter(order=order, event="assigned").count()
    taken = Notification.objects.filter(
        event="invitation_taken", context__order_id=order.pk
    ).count()
    if (assigned, taken) != (1, EXPERTS - 1):
        problems.append(f"{assigned} 'assigned' and {taken} 'invitation_taken' notifications")
    return problems


def test_speedy_fifty_simultaneous_accepts_one_wins(world: World) -> None:
    # given fifty pros, and a test that really commits (no wrapping transaction)
    assert not connection.in_atomic_block
    experts: list[User] = [
        UserFactory(email=f"racer{n}@example.com", is_expert=True) for n in range(EXPERTS)
    ]
    failures: dict[int, list[str]] = {}
    timings: list[float] = []

    for round_ in range(1, ROUNDS + 1):
        # given a fresh speedy order to which all fifty are invited
        order = world.order(Order.Flow.MARKETPLACE, title=f"Speedy resume, round {round_}")
        actions.invite_experts(order, actor=world.agent, experts=experts)
        invitations = list(order.invitations.select_related("expert"))
        assert len(invitations) == EXPERTS

        # when all of them accept at once
        started = time.perf_counter()
        outcomes = _race(invitations)
        timings.append(time.perf_counter() - started)

        # then exactly one won and everything in the database agrees with that
        if problems := _problems(order, outcomes):
            failures[round_] = problems

    report = "\n".join(
        f"round {round_}: " + "; ".join(problems) for round_, problems in failures.items()
    )
    assert not failures, (
        f"{len(failures)} of {ROUNDS} rounds broke 'first accept wins' on "
        f"{connection.vendor}:\n{report}"
    )
    print(
        f"\n{ROUNDS} races of {EXPERTS} on {connection.vendor}: "
        f"slowest {max(timings):.2f}s, total {sum(timings):.2f}s"
    )


def test_speedy_second_accept_gets_taken_and_loses_access(world: World) -> None:
    # given a speedy order offered to two pros
    order = world.order(Order.Flow.MARKETPLACE)
    actions.invite_experts(order, actor=world.agent, experts=[world.expert, world.expert2])
    first = order.invitations.get(expert=world.expert)
    second = order.invitations.get(expert=world.expert2)
    assert access.can_see_order(world.expert2, order)

    # when the first accepts, then the second
    won = actions.accept_invitation(first, actor=world.expert)
    with pytest.raises(Conflict) as caught:
        actions.accept_invitation(second, actor=world.expert2)

    # then the second is told "taken" and no longer sees the order; the first has it
    assert caught.value.code == "taken"
    order.refresh_from_db()
    second.refresh_from_db()
    assert won.pk == order.pk
    assert order.expert == world.expert
    assert order.status == Order.Status.IN_PROGRESS
    assert second.status == Invitation.Status.TAKEN
    assert not access.can_see_order(world.expert2, order)
    assert access.can_see_order(world.expert, order)
    assert not access.can_see_order(world.stranger, order)
    assert Event.objects.filter(order=order, verb="invitation.accepted").count() == 1
