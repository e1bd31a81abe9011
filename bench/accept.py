"""`accept`: speedy accepts over the API, through gunicorn as `make serve` runs it, on PostgreSQL,
vs pgbench running the equivalent SQL on the same server.

A fresh database of its own (bench_accept; env ACCEPT_PG for the server) is migrated by the
project and given 8 pros with API tokens and enough speedy orders, each offered to one pro.

  measured  8 clients (threads, one keep-alive HTTP connection each) POST
            /api/v1/invitations/{id}/accept for ACCEPT_N (400) different orders: accepts/s
  baseline  pgbench -c 8 for ACCEPT_SECONDS (5) running what an accept does to the database at
            its core, in one transaction: lock the order row, UPDATE ... SET status = 'taken'
            WHERE id = ... AND status = 'open', INSERT its event: transactions/s

Interleaved, ACCEPT_REPEATS (3) each; goal: median ratio >= 0.3. One more run with
DATABASE_CONN_MAX_AGE=0 (a new database connection per request, the old default) is reported
beside it for comparison.

    .venv/bin/python bench/run.py accept
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import harness
import requests
from upload_1gib import start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("ACCEPT_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
CLIENTS = 8
GOAL = 0.3

PGBENCH_TABLES = """
DROP TABLE IF EXISTS bench_pgb_order, bench_pgb_event;
CREATE TABLE bench_pgb_order (
    id bigint PRIMARY KEY, status varchar(20) NOT NULL, expert_id bigint,
    updated_at timestamptz NOT NULL
);
CREATE TABLE bench_pgb_event (
    id bigserial PRIMARY KEY, order_id bigint NOT NULL, verb varchar(40) NOT NULL,
    created_at timestamptz NOT NULL
);
INSERT INTO bench_pgb_order SELECT i, 'open', NULL, now() FROM generate_series(1, 200000) i;
"""

PGBENCH_SCRIPT = """\\set id random(1, 200000)
BEGIN;
SELECT status FROM bench_pgb_order WHERE id = :id FOR UPDATE;
UPDATE bench_pgb_order SET status = 'taken', expert_id = :client_id, updated_at = now()
    WHERE id = :id AND status = 'open';
INSERT INTO bench_pgb_event (order_id, verb, created_at) VALUES (:id, 'invitation.accepted', now());
END;
"""


def django_on(database: str) -> None:
    """Django in this process, on a fresh PostgreSQL database `database`, migrated."""
    import psycopg

    os.environ["DATABASE_URL"] = f"{SERVER}/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "atelier.settings"
    os.environ["DEBUG"] = "false"
    os.environ["EMAIL_URL"] = "dummy"
    sys.path.insert(0, str(ROOT))
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def people(pros: int):
    """An agent, a customer and `pros` pros with an API token each: (agent, customer, service,
    [(pro, token)])."""
    from atelier.accounts.models import User
    from atelier.accounts.tokens import issue_token
    from atelier.catalog.models import Service

    service = Service.objects.create(slug="bench", name="Bench")
    agent = User.objects.create_user("agent@bench.example", "pw", is_agent=True)
    customer = User.objects.create_user("customer@bench.example", "pw", is_customer=True)
    User.objects.bulk_create(
        User(email=f"pro{n}@bench.example", name=f"Pro {n}", is_expert=True) for n in range(pros)
    )
    experts = list(User.objects.filter(is_expert=True).order_by("pk"))
    return agent, customer, service, [(e, issue_token(e, name="bench")[1]) for e in experts]


def speedy(agent, customer, service, experts) -> dict[int, int]:
    """A speedy order offered to `experts`: their invitation ids by expert id."""
    from atelier.orders import actions
    from atelier.orders.models import FLOW_PRESETS, Order

    preset = {**FLOW_PRESETS[Order.Flow.MARKETPLACE], "assignment": Order.Assignment.SPEEDY}
    order = actions.create_order(
        actor=agent,
        customer=customer,
        service=service,
        title="A speedy",
        instructions="Quickly, please.",
        reward_amount="120.00",
        **preset,
    )
    return {i.expert_id: i.pk for i in actions.invite_experts(order, actor=agent, experts=experts)}


def server_env(database: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "atelier.settings",
        "DATABASE_URL": f"{SERVER}/{database}",
        "DEBUG": "0",
        "EMAIL_URL": "dummy",
        "LOG_LEVEL": "ERROR",  # not a line per 409
        **extra,
    }


def _accepts(port: int, work: list[list[tuple[str, int]]]) -> float:
    """Each client POSTs its accepts one after the other; accepts/s over all of them."""
    failures: list[str] = []

    def client(jobs: list[tuple[str, int]]) -> None:
        with requests.Session() as http:
            for token, invitation in jobs:
                answer = http.post(
                    f"http://127.0.0.1:{port}/api/v1/invitations/{invitation}/accept",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                )
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=client, args=(jobs,)) for jobs in work]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} accepts failed, e.g. {failures[0]}")
    return sum(len(jobs) for jobs in work) / elapsed


def _pgbench(database: str, seconds: int, script: Path) -> float:
    done = subprocess.run(
        [
            *("pgbench", "-n", "-c", str(CLIENTS), "-j", "2"),
            *("-T", str(seconds), "-f", str(script), f"{SERVER}/{database}"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))


def main(argv: list[str]) -> int:
    n = int(os.environ.get("ACCEPT_N", "400"))
    repeats = int(os.environ.get("ACCEPT_REPEATS", "3"))
    seconds = int(os.environ.get("ACCEPT_SECONDS", "5"))
    database = "bench_accept"
    django_on(database)
    from django.db import connection

    agent, customer, service, pros = people(CLIENTS)
    batches = []  # one per API run: n accepts, spread over the clients
    for _ in range(2 * repeats + 2):  # the runs, a warm-up and the CONN_MAX_AGE=0 run
        work: list[list[tuple[str, int]]] = [[] for _ in range(CLIENTS)]
        for k in range(n if batches else CLIENTS * 5):
            pro, token = pros[k % CLIENTS]
            [invitation] = speedy(agent, customer, service, [pro]).values()
            work[k % CLIENTS].append((token, invitation))
        batches.append(work)
    with connection.cursor() as cursor:
        cursor.execute(PGBENCH_TABLES)
    connection.close()

    servers = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "accept.sql"
        script.write_text(PGBENCH_SCRIPT)
        try:
            server, port = start_gunicorn(server_env(database), workers=3, threads=4)
            servers.append(server)
            _accepts(port, batches.pop(0))  # warm-up: imports, connections
            runs = harness.interleaved(
                lambda: _accepts(port, batches.pop(0)),
                lambda: _pgbench(database, seconds, script),
                repeats,
            )
            stop(server)
            old, old_port = start_gunicorn(
                server_env(database, DATABASE_CONN_MAX_AGE="0"), workers=3, threads=4
            )
            servers.append(old)
            per_request = _accepts(old_port, batches.pop(0))
        finally:
            for server in servers:
                stop(server)
    ratio = harness.median_ratio(runs)
    result = harness.Result(
        name="accept",
        goal=f">= {GOAL}",
        ratio=ratio,
        passed=ratio >= GOAL,
        runs=runs,
        details={
            "measured": f"API accepts/s, {CLIENTS} clients, gunicorn 3 workers x 4 threads "
            "(gthread, as make serve), DATABASE_CONN_MAX_AGE default (60)",
            "baseline": f"pgbench -c {CLIENTS} tps: lock, UPDATE ... WHERE status='open', "
            "INSERT event",
            "accepts per run": n,
            "API accepts/s with DATABASE_CONN_MAX_AGE=0 (one connection per request)": round(
                per_request, 1
            ),
        },
    )
    harness.report(result)
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
