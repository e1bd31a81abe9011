"""`sweep`: the worker's reward release (rewards.services.release_due) vs one hand-written SQL
statement doing the same release, on the same data.

A fresh PostgreSQL database of its own (bench_sweep, dropped afterwards) is migrated, then filled
with SWEEP_N (100,000) rewards and fees due for release, spread over 200 experts and 20 orders,
plus a tenth as many not yet due. Each run starts from that same state (the releases, their
notifications and queued tasks deleted, the tables vacuumed) and times only the release:

  measured  release_due(): batches of ATELIER_RELEASE_BATCH_SIZE, each its own transaction, with
            the notifications and the worker's nudge
  baseline  one statement: INSERT ... SELECT the releases, RETURNING into an INSERT of the
            notifications (what a person would write by hand, with no batches and no nudge)

Both write the same rows. Goal: measured <= 2x baseline (median of SWEEP_REPEATS runs).

    .venv/bin/python bench/run.py sweep        SWEEP_N=10000 for a quick look
"""

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402

SERVER = os.environ.get("SWEEP_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = "bench_sweep"
EXPERTS, ORDERS = 200, 20

BASELINE = """
WITH released AS (
    INSERT INTO rewards_ledgerentry
        (expert_id, order_id, kind, amount, currency, releases_id, key, memo, created_at)
    SELECT e.expert_id, e.order_id, 'release', e.amount, e.currency, e.id,
        'release:' || e.id, substr('Released: ' || e.memo, 1, 300), %(now)s
    FROM rewards_ledgerentry e
    WHERE e.kind IN ('reward', 'fee') AND e.release_at <= %(now)s
        AND NOT EXISTS (SELECT 1 FROM rewards_ledgerentry r WHERE r.releases_id = e.id)
    ON CONFLICT DO NOTHING
    RETURNING releases_id
)
INSERT INTO notifications_notification (recipient_id, order_id, event, context, status,
    attempts, created_at, updated_at, next_attempt_at, last_error, subject, body)
SELECT e.expert_id, e.order_id, 'reward_released',
    jsonb_build_object('amount', e.amount::text, 'currency', e.currency, 'memo', e.memo),
    'pending', 0, %(now)s, %(now)s, %(now)s, '', '', ''
FROM released JOIN rewards_ledgerentry e ON e.id = released.releases_id
"""

GENERATE = """
INSERT INTO rewards_ledgerentry
    (expert_id, order_id, kind, amount, currency, release_at, key, memo, created_at)
SELECT (%(experts)s::bigint[])[1 + i %% %(n_experts)s],
    (%(orders)s::bigint[])[1 + i %% %(n_orders)s],
    CASE WHEN i %% 5 = 0 THEN 'fee' ELSE 'reward' END,
    10 + i %% 490, 'EUR',
    CASE WHEN i > %(due)s THEN %(now)s + interval '1 day'
        ELSE %(now)s - i * interval '1 second' END,
    'bench:' || i, 'Reward for order #' || i, %(now)s - interval '30 days'
FROM generate_series(1, %(total)s) AS i
"""


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{SERVER}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def main(argv: list[str]) -> int:
    n = int(os.environ.get("SWEEP_N", "100000"))
    repeats = int(os.environ.get("SWEEP_REPEATS", "3"))
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{DATABASE}"}
    _psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    _psql(f"CREATE DATABASE {DATABASE}")
    try:
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True
        )
        # Django runs in a child of its own: this database, whatever else `make bench` loaded.
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(n), str(repeats)],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
    finally:
        _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    runs = measured.pop("runs")
    ratio = harness.median_ratio(runs)
    result = harness.Result(
        name="sweep",
        goal="<= 2x one hand-written SQL statement",
        ratio=ratio,
        passed=ratio <= 2,
        runs=runs,
        details={"entries released per run": n, **measured},
    )
    harness.report(result)
    return 0 if result.passed else 1


# -- the child: Django set up on the bench database ----------------------------------------------


def _setup(n: int):
    from django.conf import settings

    from atelier.accounts.models import User
    from atelier.core import clock
    from atelier.orders.tests.factories import World

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    now = clock.now()
    world = World.build()
    orders = [world.order().pk for _ in range(ORDERS)]
    experts = User.objects.bulk_create(
        User(email=f"expert-{i}@bench.invalid", is_expert=True, password="!")
        for i in range(EXPERTS)
    )
    params = {
        "experts": [u.pk for u in experts],
        "n_experts": EXPERTS,
        "orders": orders,
        "n_orders": ORDERS,
        "due": n,
        "total": n + n // 10,
        "now": now,
    }
    _execute(GENERATE, params)
    _reset()
    return now


def _execute(sql: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _reset() -> None:
    """Back to nothing released: the state both sides start from."""
    for sql in [
        "DELETE FROM rewards_ledgerentry WHERE kind = 'release'",
        "DELETE FROM notifications_notification",
        "DELETE FROM django_tasks_database_dbtaskresult",
        "VACUUM ANALYZE rewards_ledgerentry",
        "VACUUM ANALYZE notifications_notification",
        "VACUUM ANALYZE django_tasks_database_dbtaskresult",
    ]:
        _execute(sql)


def _released(n: int) -> None:
    from atelier.notifications.models import Notification
    from atelier.rewards.models import LedgerEntry

    releases = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).count()
    notes = Notification.objects.filter(event="reward_released").count()
    assert (releases, notes) == (n, n), f"{releases} releases, {notes} notifications, not {n}"


def _measure(n: int, repeats: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.conf import settings

    from atelier.rewards.services import release_due

    now = _setup(n)

    def sweep() -> float:
        _reset()
        seconds = harness.timed(lambda: release_due(now=now))
        _released(n)
        return seconds

    def sql() -> float:
        _reset()
        seconds = harness.timed(lambda: _execute(BASELINE, {"now": now}))
        _released(n)
        return seconds

    runs = harness.interleaved(sweep, sql, repeats)
    return {"runs": runs, "batch size": settings.ATELIER_RELEASE_BATCH_SIZE}


if __name__ == "__main__" and sys.argv[1:2] == ["--measure"]:
    print(json.dumps(_measure(int(sys.argv[2]), int(sys.argv[3]))))
