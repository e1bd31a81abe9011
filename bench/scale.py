"""`scale`: the lists that grow with the business, at SCALE orders (env SCALE, default 1,000,000)
against the same pages at 1,000 orders: the agent console's order list (newest, filtered by
status, with open flags, searched by title and by e-mail, and a page deep in the past), the
customer's "my orders" and the expert's dashboard.

Two PostgreSQL databases (env BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432,
names bench_scale_large and bench_scale_small) are migrated by the project and filled with
set-based SQL (INSERT ... SELECT generate_series): customers, experts, services, orders with a
mix of statuses (the newest tenth still in work, the rest completed or cancelled), some flags,
a delivered submission for the orders that reached the customer. Each expert and customer has
as many orders at either scale: the business grows by people, not by their workload. A database
already holding the wanted number of orders is reused (BENCH_FRESH=1 rebuilds it).

The pages are requested in this process through django.test.Client, switching the default
connection between the two databases; each run times BATCH requests of one page on each
database in turn (interleaved), after one untimed warm-up request. A page's ratio is the p95 of
its requests in a run on the large database over the p95 of the neighbouring run on the small
one, the median over the runs (the pooled p95s are reported beside it). Goal: every page <= 1.5x and
under 150 ms at p95, and no "Seq Scan on orders_order" in the EXPLAIN (ANALYZE) of the queries
each page runs on the large database (printed in the details).
"""

import gc
import os
import statistics
import sys
import time
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
LARGE, SMALL = "bench_scale_large", "bench_scale_small"
SMALL_ORDERS = 1000
BATCH = int(os.environ.get("BATCH", "30"))
REPEATS = int(os.environ.get("REPEATS", "6"))
GOAL_RATIO, GOAL_P95 = 1.5, 0.150


def _django() -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{SMALL}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "atelier.settings"
    os.environ["DEBUG"] = "false"  # as served: no query log kept in memory
    os.environ["ALLOWED_HOSTS"] = "testserver"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _use(name: str) -> None:
    """Point the default connection at database `name` (reconnecting on the next query)."""
    from django.db import connection

    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name


# --- the data ----------------------------------------------------------------------------------

FILL = """
INSERT INTO accounts_user (password, is_superuser, email, name, time_zone, is_customer,
    is_expert, is_reviewer, is_agent, is_active, date_joined, email_muted)
VALUES ('!', false, 'agent@atelier.example', 'Agent', 'UTC', false, false, false, true, true,
    now(), '[]');

INSERT INTO accounts_user (password, is_superuser, email, name, time_zone, is_customer,
    is_expert, is_reviewer, is_agent, is_active, date_joined, email_muted)
SELECT '!', false, 'customer' || g || '@mail.example', 'Customer ' || g, 'UTC', true, false,
    false, false, true, now(), '[]'
FROM generate_series(1, %(customers)s) g;

INSERT INTO accounts_user (password, is_superuser, email, name, time_zone, is_customer,
    is_expert, is_reviewer, is_agent, is_active, date_joined, email_muted)
SELECT '!', false, 'expert' || g || '@pros.example', 'Expert ' || g, 'UTC', false, true,
    false, false, true, now(), '[]'
FROM generate_series(1, %(experts)s) g;

-- One policy per service, in the services' order.
INSERT INTO catalog_policy (created_at, updated_at, included_revisions, turnaround_days,
    closing_delay_days, late_revision_days, reward_hold_days, reminder_days, auto_complete_days,
    qc_turnaround_hours)
SELECT now(), now(), r, 5, 7, 2, 30, 3, 3, 24 FROM unnest(ARRAY[2, 2, 1, 1]) r;

INSERT INTO catalog_service (created_at, updated_at, slug, name, description,
    revision_triage, is_active, flow, reward_amount, reward_currency, policy_id)
SELECT now(), now(), v.slug, v.name, '', v.triage, true, v.flow, v.reward, 'USD', p0.id + v.n
FROM (VALUES
    (0, 'resume', 'Resume writing', false, 'writer_portal', 120),
    (1, 'cover-letter', 'Cover letter', false, 'expert_hub', 60),
    (2, 'translation', 'Translation', true, 'marketplace', 80),
    (3, 'voice-over', 'Voice-over', false, 'marketplace', 150)
) v(n, slug, name, triage, flow, reward)
CROSS JOIN (SELECT min(id) AS id FROM catalog_policy) p0
ORDER BY v.n;

-- Orders: ids grow with time over three years; the newest tenth is still in work.
INSERT INTO orders_order (created_at, updated_at, title, instructions, assignment, qc_required,
    expert_may_close, reward_amount, reward_currency, due_at, status, closable_at, completed_at,
    customer_id, expert_id, linked_order_id, service_id, closable_notified_at, policy_id,
    first_delivered_at)
SELECT t.at, t.at,
    (ARRAY['Resume', 'Cover letter', 'Translation', 'Voice-over'])[1 + g %% 4] || ' '
        || left(md5(g::text), 10),
    'Please keep it to one page.',
    CASE WHEN g %% 4 >= 2 THEN 'speedy' ELSE 'direct' END,
    g %% 4 >= 2, g %% 4 = 1, 100, 'USD', t.at + interval '5 days', s.status,
    CASE WHEN s.status IN ('delivered', 'revision_requested', 'revision_submitted', 'completed')
        THEN t.at + interval '9 days' END,
    CASE WHEN s.status = 'completed' THEN t.at + interval '10 days' END,
    ids.customer0 + (g::bigint * 7919) %% %(customers)s,
    CASE WHEN s.status IN ('open', 'invited') OR (s.status = 'cancelled' AND g %% 2 = 0)
        THEN NULL ELSE ids.expert0 + g %% %(experts)s END,
    NULL, ids.service0 + g %% 4, NULL, ids.policy0 + g %% 4,
    CASE WHEN s.status IN ('delivered', 'revision_requested', 'revision_submitted', 'completed')
        THEN t.at + interval '2 days' END
FROM generate_series(1, %(orders)s) g
CROSS JOIN (SELECT
    (SELECT min(id) FROM accounts_user WHERE is_customer) AS customer0,
    (SELECT min(id) FROM accounts_user WHERE is_expert) AS expert0,
    (SELECT min(id) FROM catalog_service) AS service0,
    (SELECT min(id) FROM catalog_policy) AS policy0) ids
CROSS JOIN LATERAL (SELECT now() - interval '1 day'
    - (%(orders)s - g) * (interval '3 years' / %(orders)s) AS at) t
CROSS JOIN LATERAL (SELECT CASE
    WHEN g <= %(orders)s * 0.9 THEN
        CASE WHEN (g * 31) %% 100 < 92 THEN 'completed' ELSE 'cancelled' END
    ELSE (ARRAY['open', 'invited', 'in_progress', 'in_progress', 'in_qc', 'delivered',
        'delivered', 'revision_requested', 'revision_submitted', 'completed'])[1 + (g * 13) %% 10]
    END AS status) s;

INSERT INTO orders_submission (created_at, updated_at, number, kind, notes, delivered_at,
    customer_opened_at, expert_id, order_id, customer_reminded_at)
SELECT o.created_at + interval '2 days', o.created_at + interval '2 days', 1, 'draft', '',
    o.created_at + interval '2 days',
    CASE WHEN o.id %% 3 > 0 THEN o.created_at + interval '3 days' END, o.expert_id, o.id, NULL
FROM orders_order o
WHERE o.status IN ('delivered', 'revision_requested', 'revision_submitted', 'completed');

-- Flags on one order in fifty, resolved on the orders done; open on a third of those in work.
INSERT INTO orders_flag (created_at, updated_at, kind, note, resolved_at, resolution,
    raised_by_id, resolved_by_id, order_id)
SELECT o.created_at + interval '1 day', o.created_at + interval '1 day', 'concern', 'Hmm',
    CASE WHEN o.status IN ('completed', 'cancelled') THEN o.created_at + interval '2 days' END,
    '', agent.id, NULL, o.id
FROM orders_order o CROSS JOIN (SELECT id FROM accounts_user WHERE is_agent) agent
WHERE o.id %% 50 = 0 OR (o.status NOT IN ('completed', 'cancelled') AND o.id %% 3 = 0);
"""


def _create(name: str, orders: int) -> None:
    """Database `name` migrated by the project and holding `orders` orders (reused if so)."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    fresh = os.environ.get("BENCH_FRESH") == "1"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not fresh:
            with psycopg.connect(f"{SERVER}/{name}") as db:
                try:
                    held = db.execute("SELECT count(*) FROM orders_order").fetchone()[0]
                except psycopg.Error:
                    held = None
            if held == orders:
                print(f"  {name}: reusing {orders:,} orders", flush=True)
                _use(name)
                call_command("migrate", verbosity=0)  # brings the indexes up to date
                return
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    _use(name)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    sizes = {
        "orders": orders,
        "customers": max(50, orders // 5),
        "experts": max(10, orders // 50),
    }
    with connection.cursor() as cursor:
        cursor.execute(FILL, sizes)
    connection.close()
    with psycopg.connect(f"{SERVER}/{name}", autocommit=True) as db:
        db.execute("VACUUM ANALYZE")
    print(f"  {name}: {orders:,} orders in {time.perf_counter() - started:.0f} s", flush=True)


# --- the pages ---------------------------------------------------------------------------------


class Site:
    """One database's people, each signed in with their own client, and the pages to ask."""

    def __init__(self, name: str):
        from django.db.models import Count, Subquery
        from django.test import Client

        from atelier.accounts.models import User
        from atelier.core.keyset import OLDER, Cursor
        from atelier.orders.models import Order

        _use(name)
        self.name = name
        self.clients = {}
        working = Order.objects.exclude(status__in=["completed", "cancelled"]).exclude(expert=None)
        busiest = working.values("expert")
        busiest = busiest.annotate(n=Count("pk")).order_by("-n").values("expert")[:1]
        people = {
            "agent": User.objects.get(is_agent=True),
            # the customer with the most orders, the expert with the most orders in work
            "customer": User.objects.annotate(n=Count("orders")).order_by("-n").first(),
            "expert": User.objects.get(pk=Subquery(busiest)),
        }
        for role, user in people.items():
            self.clients[role] = Client()
            self.clients[role].force_login(user)
        count = Order.objects.count()
        middle = Order.objects.order_by("pk")[count // 2]
        title = Order.objects.order_by("pk")[count // 3].title
        deep = Cursor(OLDER, middle.created_at, middle.pk).encode()
        self.pages = {
            "console": ("agent", "/console/"),
            "console status": ("agent", "/console/?status=cancelled"),
            "console flagged": ("agent", "/console/?flagged=on"),
            "console search title": ("agent", f"/console/?q={title.split()[-1]}"),
            "console search e-mail": ("agent", "/console/?q=customer7%40mail"),
            "console deep page": ("agent", f"/console/?cursor={deep}"),
            "my orders": ("customer", "/"),
            "expert dashboard": ("expert", "/work/"),
        }

    def get(self, page: str):
        role, url = self.pages[page]
        response = self.clients[role].get(url)
        assert response.status_code == 200, (self.name, page, response.status_code)
        return response

    def batch(self, page: str, samples: list[float]) -> float:
        """BATCH timed requests after a warm-up; their p95, and every time kept in `samples`."""
        _use(self.name)
        self.get(page)
        # A collection pause lands on whichever request is running: noise, not scale.
        gc.collect()
        gc.disable()
        try:
            times = [harness.timed(lambda: self.get(page)) for _ in range(BATCH)]
        finally:
            gc.enable()
        samples.extend(times)
        return p95(times)

    def plans(self, page: str) -> list[str]:
        """EXPLAIN (ANALYZE) of every query on orders the page runs."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        _use(self.name)
        with CaptureQueriesContext(connection) as captured:
            self.get(page)
        plans = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                if '"orders_order"' not in query["sql"]:
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return plans


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]


def main(argv: list[str]) -> int:
    scale = int(os.environ.get("SCALE", "1000000"))
    _django()
    print(f"  SCALE={scale:,} orders against {SMALL_ORDERS:,}", flush=True)
    _create(LARGE, scale)
    _create(SMALL, SMALL_ORDERS)
    large, small = Site(LARGE), Site(SMALL)

    runs, figures, plans, seq_scans = [], {}, {}, {}
    for page in large.pages:
        kept = {"large": [], "small": []}
        page_runs = harness.interleaved(
            lambda page=page, kept=kept: large.batch(page, kept["large"]),
            lambda page=page, kept=kept: small.batch(page, kept["small"]),
            REPEATS,
        )
        runs.extend({"page": page, **run} for run in page_runs)
        figures[page] = {
            "p95_large_ms": round(p95(kept["large"]) * 1000, 1),
            "p95_small_ms": round(p95(kept["small"]) * 1000, 1),
            "median_large_ms": round(statistics.median(kept["large"]) * 1000, 1),
            "median_small_ms": round(statistics.median(kept["small"]) * 1000, 1),
            # Each run's p95 at scale over its neighbour's p95 at 1,000, the median of those:
            # a machine busy for a moment weighs on one run, not on the verdict.
            "ratio": round(harness.median_ratio(page_runs), 2),
        }
        plans[page] = large.plans(page)
        seq_scans[page] = any("Seq Scan on orders_order" in plan for plan in plans[page])
        print(f"  {page}: {figures[page]}", flush=True)

    worst = max(figures.values(), key=lambda f: f["ratio"])["ratio"]
    passed = all(
        f["ratio"] <= GOAL_RATIO and f["p95_large_ms"] < GOAL_P95 * 1000 for f in figures.values()
    ) and not any(seq_scans.values())
    result = harness.Result(
        name="scale",
        goal=f"every page p95 <= {GOAL_RATIO}x at {scale:,} vs {SMALL_ORDERS:,} orders, "
        f"p95 < {GOAL_P95 * 1000:.0f} ms, no Seq Scan on orders_order",
        ratio=worst,
        passed=passed,
        runs=runs,
        details={
            "scale": scale,
            "small": SMALL_ORDERS,
            "batch": BATCH,
            "repeats": REPEATS,
            "pages": figures,
            "seq_scan_on_orders_order": seq_scans,
            "explain_analyze (large database)": "".join(
                f"\n\n  -- {page} --\n" + "\n\n".join(texts) for page, texts in plans.items()
            ),
        },
    )
    harness.report(result)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
