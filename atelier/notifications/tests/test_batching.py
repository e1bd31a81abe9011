"""Batched nudging and batched sending: a transaction's notifications are one INSERT per
notify() and one task for the worker, whatever the number of recipients; the task sends its
batch over one mail connection, and a failure retries that row only. (Over real SMTP, with the
sink counting connections: tests/test_worker.py.)"""

from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from atelier.notifications import delivery
from atelier.notifications.models import Notification
from atelier.notifications.outbox import notify
from atelier.orders import actions
from atelier.orders.models import Order
from atelier.orders.tests.factories import UserFactory

Status = Notification.Status
BATCH_TASK = "atelier.notifications.tasks.deliver_notifications"
RETRY_TASK = "atelier.notifications.tasks.deliver_notification"


def batches() -> list[list[int]]:
    tasks = DBTaskResult.objects.filter(task_path=BATCH_TASK).order_by("enqueued_at", "pk")
    return [task.args_kwargs["args"][0] for task in tasks]


def speedy_won_against(world, pros: int, run_on_commit) -> tuple[int, list[Notification]]:
    """A speedy offered to `pros` pros, accepted by the first: the queries of the accept, and
    the notifications it wrote."""
    experts = UserFactory.create_batch(pros, is_expert=True)
    order = world.order(Order.Flow.MARKETPLACE, assignment=Order.Assignment.SPEEDY)
    invitations = actions.invite_experts(order, actor=world.agent, experts=experts)
    DBTaskResult.objects.all().delete()
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    with run_on_commit(execute=True), CaptureQueriesContext(connection) as queries:
        actions.accept_invitation(invitations[0], actor=experts[0])
    return len(queries), list(Notification.objects.filter(pk__gt=before).order_by("pk"))


def test_an_action_notifying_many_pros_inserts_them_in_constant_queries_and_queues_one_task(
    world, django_capture_on_commit_callbacks
):
    # given a speedy won against 4 pros, and one won against 40
    few_queries, few = speedy_won_against(world, 5, django_capture_on_commit_callbacks)
    few_batches = batches()
    many_queries, many = speedy_won_against(world, 41, django_capture_on_commit_callbacks)

    # then the losers are told, one row each, and 36 more of them cost no extra query
    taken = [n for n in many if n.event == "invitation_taken"]
    assert len(taken) == 40 and len({n.recipient_id for n in taken}) == 40
    assert len([n for n in few if n.event == "invitation_taken"]) == 4
    assert many_queries == few_queries
    # and each accept queued one task for the worker, naming every row it wrote
    assert few_batches == [[n.pk for n in few]]
    assert batches() == [[n.pk for n in many]]


def test_notifications_of_one_transaction_share_one_task(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = notify("comment_posted", [world.customer, world.expert], body="one")
        second = notify("comment_posted", [world.reviewer], body="two")
        assert batches() == []  # nothing before the commit

    assert batches() == [[n.pk for n in first + second]]


def test_a_rolled_back_savepoint_does_not_lose_the_nudge_of_the_rows_that_commit(
    world, django_capture_on_commit_callbacks
):
    class Undo(Exception):
        pass

    # given a transaction whose first notification is rolled back with its savepoint
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with pytest.raises(Undo), transaction.atomic():
            notify("comment_posted", [world.customer], body="gone")
            raise Undo
        kept = notify("comment_posted", [world.expert], body="kept")

    # then the notification that committed still has its task
    assert batches() == [[kept[0].pk]]
    assert Notification.objects.count() == 1


def test_a_batch_is_sent_over_one_connection_and_a_refused_recipient_retries_that_row_only(
    world, monkeypatch
):
    # given three notifications, one of them to an address the mail server refuses
    notes = notify("comment_posted", [world.customer, world.expert, world.reviewer], body="Hi")
    opened, send = [], EmailBackend.send_messages

    def refusing(self, messages):
        if world.expert.email in messages[0].to:
            raise SMTPRecipientsRefused({world.expert.email: (550, b"No such mailbox")})
        opened.append(id(self))
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refusing)
    DBTaskResult.objects.all().delete()

    # when the batch task delivers them
    assert delivery.deliver_batch([n.pk for n in notes]) == 2

    # then the two others went out through one connection, once each
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.customer.email, world.reviewer.email]
    )
    assert len(set(opened)) == 1
    # and only the refused one waits for a retry, with its own nudge
    rows = {n.recipient_id: n for n in Notification.objects.all()}
    refused = rows.pop(world.expert.pk)
    assert (refused.status, refused.attempts) == (Status.PENDING, 1)
    assert "No such mailbox" in refused.last_error
    assert {(n.status, n.attempts) for n in rows.values()} == {(Status.SENT, 1)}
    [retry] = DBTaskResult.objects.filter(task_path=RETRY_TASK)
    assert retry.args_kwargs["args"] == [refused.pk]
    # and a second run of the same batch sends nothing again
    assert delivery.deliver_batch([n.pk for n in notes]) == 0
    assert len(mail.outbox) == 2
