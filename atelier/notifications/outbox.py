"""Writing notifications. Domain actions call notify() inside their transaction (DESIGN rule 12);
the worker delivers the rows later.

This app sits just above core: it knows people only as Django's user model (as a reusable app
would), so that accounts may offer e-mail preferences for its events."""

import json
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Expression, QuerySet, Value
from django.db.models.functions import JSONObject

from atelier.core import clock
from atelier.core.tasks import nudge_on_commit

from .models import Notification


def notify(
    event: str, recipients: Iterable[Any], *, order=None, **context: Any
) -> list[Notification]:
    """Queue one notification per distinct recipient, with a JSON-safe copy of the context: one
    INSERT for them all, and one task for the worker when the transaction commits, however many
    notifications it wrote (atelier/core/tasks.py::nudge_on_commit)."""
    unique = {user.pk: user for user in recipients if user is not None}
    plain = json.loads(json.dumps(context, cls=DjangoJSONEncoder))
    now = clock.now()
    created = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            order=order,
            event=event,
            context=plain,
            created_at=now,
            next_attempt_at=now,
        )
        for user in unique.values()
    )
    if created:
        from .tasks import deliver_notifications  # the task module imports delivery, above us

        nudge_on_commit(deliver_notifications, [n.pk for n in created], what="notification")
    return created


def notify_rows(
    event: str, rows: QuerySet, *, recipient: Expression, order: Expression, context: JSONObject
) -> list[int]:
    """Queue one notification per row of `rows` in one INSERT ... SELECT: `recipient`, `order`
    and `context` are expressions over each row (the context a JSONObject of JSON-ready values,
    what notify() would store for them). For a sweep acting on thousands of rows at once;
    returns the new notifications' ids, nudged once the transaction commits as notify()'s are."""
    now = clock.now()
    columns = {
        field.column: Value(field.get_default(), output_field=field)
        for field in Notification._meta.concrete_fields
        if not field.primary_key
    }
    fields = Notification._meta
    columns |= {
        fields.get_field(name).column: Value(value, output_field=fields.get_field(name))
        for name, value in [
            ("event", event),
            ("created_at", now),
            ("updated_at", now),
            ("next_attempt_at", now),
        ]
    }
    columns |= {
        fields.get_field("recipient").column: recipient,
        fields.get_field("order").column: order,
        fields.get_field("context").column: context,
    }
    names = {f"notification_{n}": expression for n, expression in enumerate(columns.values())}
    select, params = rows.annotate(**names).values_list(*names).query.sql_with_params()
    ops = connection.ops
    sql = (
        f"INSERT INTO {ops.quote_name(Notification._meta.db_table)} "
        f"({', '.join(ops.quote_name(column) for column in columns)}) {select} "
        f"RETURNING {ops.quote_name(Notification._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        from .tasks import deliver_notifications  # the task module imports delivery, above us

        nudge_on_commit(deliver_notifications, ids, what="notification")
    return ids


def agents() -> list:
    """Every active agent: the recipients of what agents watch (flags, close requests)."""
    return list(get_user_model().objects.filter(is_agent=True, is_active=True))
