"""`notify`: what notifications cost the action that writes them, and how soon they reach the mail
server. A fresh PostgreSQL database of its own (bench_notify, env NOTIFY_PG for the server) is
migrated by the project; the actions run in this process.

notify        a speedy won against NOTIFY_PROS (999) other pros: accept_invitation with its
              notifications (one row per loser, one INSERT, one task nudging the worker on commit)
              vs the same accept with notify() replaced by a no-op in the engine's modules.
              Interleaved, NOTIFY_REPEATS (7) each; each run on a fresh order with every pro
              invited (not timed). Goal: median ratio <= 1.2x.
notify_smtp   commit -> handed to SMTP for a burst of NOTIFY_BURST (200) e-mails, one worker
              process (`manage.py run_worker`, as in production) sending to an aiosmtpd sink
              (tests/smtp_sink.py), which writes each message before it answers 250: a message's
              latency is its file's time minus its row's created_at (taken just before the commit).
              Two bursts, each NOTIFY_BURSTS (3) times: one transaction writing all 200 (an action
              telling many people), and 200 transactions of one e-mail back to back. Goal: p95
              <= 2 s for both.

    .venv/bin/python bench/run.py notify          NOTIFY_PROS=200 for a quick look
    .venv/bin/python bench/run.py notify action   (or smtp) for one part
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("NOTIFY_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATABASE = "bench_notify"
GOAL_RATIO, GOAL_P95 = 1.2, 2.0


def _django() -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "atelier.settings"
    os.environ["DEBUG"] = "false"  # as served: no query log kept in memory
    os.environ["EMAIL_URL"] = "dummy"  # this process only writes; the worker sends
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _fresh_database() -> None:
    import psycopg
    from django.core.management import call_command

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    call_command("migrate", verbosity=0)


class World:
    def __init__(self, pros: int) -> None:
        from atelier.accounts.models import User
        from atelier.catalog.models import Service

        self.service = Service.objects.create(slug="bench", name="Bench")
        self.agent = User.objects.create_user("agent@bench.example", "pw", is_agent=True)
        self.customer = User.objects.create_user("customer@bench.example", "pw", is_customer=True)
        User.objects.bulk_create(
            User(email=f"pro{n}@bench.example", name=f"Pro {n}", is_expert=True)
            for n in range(pros)
        )
        self.pros = list(User.objects.filter(is_expert=True).order_by("pk"))

    def invited(self, pros: int | None = None):
        """A fresh speedy with every pro (or the first `pros`) invited; the first pro's
        invitation."""
        from atelier.orders import actions
        from atelier.orders.models import FLOW_PRESETS, Order

        preset = {**FLOW_PRESETS[Order.Flow.MARKETPLACE], "assignment": Order.Assignment.SPEEDY}
        order = actions.create_order(
            actor=self.agent,
            customer=self.customer,
            service=self.service,
            title="A speedy",
            instructions="Quickly, please.",
            reward_amount="120.00",
            **preset,
        )
        experts = self.pros[:pros] if pros else self.pros
        invitations = actions.invite_experts(order, actor=self.agent, experts=experts)
        return next(i for i in invitations if i.expert_id == self.pros[0].pk)


def _accept(world: World, *, stubbed: bool, pros: int | None = None) -> float:
    from atelier.orders import actions

    invitation = world.invited(pros)
    with _notify_stubbed() if stubbed else _nothing():
        return harness.timed(lambda: actions.accept_invitation(invitation, actor=world.pros[0]))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _notify_stubbed:
    """notify() as a no-op in every module that imported it (the engine's actions)."""

    def __enter__(self):
        from atelier.notifications import outbox

        self.real = outbox.notify
        self.patched = [
            module
            for name, module in list(sys.modules.items())
            if name.startswith("atelier.")
            and name != outbox.__name__
            and getattr(module, "notify", None) is self.real
        ]
        assert self.patched, "no module calls notify()"
        for module in self.patched:
            module.notify = lambda *args, **kwargs: []
        return self

    def __exit__(self, *exc):
        for module in self.patched:
            module.notify = self.real
        return False


def bench_action(world: World, repeats: int) -> harness.Result:
    from django_tasks_db.models import DBTaskResult

    from atelier.notifications.models import Notification

    _accept(world, stubbed=False)  # warm-up: templates, caches, the query plans
    _accept(world, stubbed=True)
    runs = harness.interleaved(
        lambda: _accept(world, stubbed=False), lambda: _accept(world, stubbed=True), repeats
    )
    ratio = harness.median_ratio(runs)
    # For scale: the same accept on a speedy offered to 3 pros (2 told it is taken).
    small = harness.interleaved(
        lambda: _accept(world, stubbed=False, pros=3),
        lambda: _accept(world, stubbed=True, pros=3),
        3 * repeats,
    )
    taken = Notification.objects.filter(event="invitation_taken").count()
    tasks = DBTaskResult.objects.filter(task_path__contains="deliver_notification").count()
    return harness.Result(
        name="notify",
        goal=f"<= {GOAL_RATIO}x",
        ratio=ratio,
        passed=ratio <= GOAL_RATIO,
        runs=runs,
        details={
            "action": f"accept_invitation on a speedy offered to {len(world.pros)} pros",
            "measured": "with its notifications (one per loser) and the worker's nudge",
            "baseline": "notify() a no-op",
            "median_seconds": {
                "measured": statistics.median(r["measured"] for r in runs),
                "baseline": statistics.median(r["baseline"] for r in runs),
            },
            "ratio for the same accept offered to 3 pros (median)": round(
                harness.median_ratio(small), 3
            ),
            "invitation_taken rows written (all runs)": taken,
            "delivery tasks queued in all (the invitations' included)": tasks,
        },
    )


# --- commit -> handed to SMTP --------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Still waiting after {timeout:.0f}s for {what}")
        time.sleep(0.2)


class Mail:
    """The sink and one worker, on the bench database."""

    def __init__(self, tmp: Path) -> None:
        self.out = tmp / "mail"
        self.port = _free_port()
        self.logs = tmp
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.sink = self._start(
            [sys.executable, "tests/smtp_sink.py", "--port", str(self.port), "--out", self.out],
            "sink",
            env,
        )
        worker_env = {
            **env,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.port}?timeout=10",
            "ATELIER_BASE_URL": "http://bench.example",
        }
        self.worker = self._start(
            [sys.executable, "manage.py", "run_worker", "--no-startup-delay"], "worker", worker_env
        )
        self.seen: set[Path] = set()

    def _start(self, args, name, env) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("wb") as log:
            return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def received(self) -> dict[int, float]:
        """The notification each new message is (by its Message-ID), and when it arrived: each
        file read once, so that this process takes little CPU from the worker and the sink."""
        parser = BytesParser(policy=default_policy)
        found = {}
        for path in self.out.glob("*.eml"):
            if path in self.seen:
                continue
            self.seen.add(path)
            with path.open("rb") as f:
                mid = str(parser.parse(f, headersonly=True)["Message-ID"])
            pk = int(mid.split("notification-")[1].split("@")[0])
            found[pk] = path.stat().st_mtime
        return found

    def stop(self) -> None:
        for process in (self.worker, self.sink):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _burst(mail: Mail, people, *, one_transaction: bool) -> dict:
    from django.db import transaction

    from atelier.notifications.models import Notification
    from atelier.notifications.outbox import notify

    rows = []
    if one_transaction:
        with transaction.atomic():
            rows = notify("comment_posted", people, body="A burst")
    else:
        for person in people:
            with transaction.atomic():
                rows += notify("comment_posted", [person], body="A burst")
    wanted = {row.pk for row in rows}
    arrived: dict[int, float] = {}

    def all_arrived() -> bool:
        arrived.update({pk: t for pk, t in mail.received().items() if pk in wanted})
        return wanted <= set(arrived)

    _wait(all_arrived, 120, f"{len(wanted)} messages at the sink")
    created = dict(Notification.objects.filter(pk__in=wanted).values_list("pk", "created_at"))
    latencies = sorted(arrived[pk] - created[pk].timestamp() for pk in wanted)
    log = mail.out / "connections.log"
    connections = len(log.read_text().split()) if log.exists() else 0
    return {
        "p50": statistics.median(latencies),
        "p95": statistics.quantiles(latencies, n=100, method="inclusive")[94],
        "max": latencies[-1],
        "per_second": len(latencies) / max(latencies[-1], 1e-9),
        "connections_so_far": connections,
    }


def bench_smtp(world: World, burst: int, bursts: int) -> harness.Result:
    from django_tasks_db.models import DBTaskResult

    from atelier.notifications.models import Notification

    # The first part's notifications are not this burst: no backlog ahead of it.
    DBTaskResult.objects.all().delete()
    Notification.objects.update(status=Notification.Status.SKIPPED)
    people = world.pros[:burst]
    runs = []
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        mail = Mail(Path(tmp))
        try:
            _wait(lambda: mail.out.exists(), 30, "the sink")
            _burst(mail, people[:1], one_transaction=True)  # the worker is up and polling
            time.sleep(1.5)  # ... and back to its idle poll, as a burst would find it
            for _ in range(bursts):
                for one in (True, False):
                    figures = _burst(mail, people, one_transaction=one)
                    runs.append({"burst": "1 transaction" if one else f"{burst} transactions"})
                    runs[-1].update(figures)
                    time.sleep(1.5)
        finally:
            mail.stop()
    worst = max(run["p95"] for run in runs)
    return harness.Result(
        name="notify_smtp",
        goal=f"p95 <= {GOAL_P95} s",
        ratio=worst,
        unit="s, worst p95",
        passed=worst <= GOAL_P95,
        runs=runs,
        details={
            "burst": f"{burst} e-mails, one worker (run_worker as in production: an idle "
            "worker polls every 0.25 s)",
            "p95 by burst": {
                kind: statistics.median(r["p95"] for r in runs if r["burst"] == kind)
                for kind in dict.fromkeys(r["burst"] for r in runs)
            },
        },
    )


def main(argv: list[str]) -> int:
    pros = int(os.environ.get("NOTIFY_PROS", "999"))
    repeats = int(os.environ.get("NOTIFY_REPEATS", "7"))
    burst = int(os.environ.get("NOTIFY_BURST", "200"))
    bursts = int(os.environ.get("NOTIFY_BURSTS", "3"))
    _django()
    _fresh_database()
    parts = set(argv) & {"action", "smtp"} or {"action", "smtp"}
    world = World(max(pros + 1, burst))
    results = []
    if "action" in parts:
        results.append(bench_action(world, repeats))
        harness.report(results[-1])
    if "smtp" in parts:
        results.append(bench_smtp(world, burst, bursts))
        harness.report(results[-1])
    from django.db import connection

    connection.close()
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
