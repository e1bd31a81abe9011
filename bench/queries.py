"""`queries`: SQL queries per page and API read, a small world against a large one.

On a throw-away SQLite database, a small world (one order with 1 submission of 3 files and 1
comment) is built and every read counted; then a large world beside it (an order with 50
submissions of 3 files, 50 revision requests and 200 comments, plus 30 more orders in assorted
states) and every read counted again, as its own people. The figure is the worst large/small
ratio over the reads: 1 when no read grows with the data. Each read is made once before it is
counted, so a first view's one-off writes (marking deliveries opened, numbering the event log)
are not counted as a plain read; the customer's first view is counted as a read of its own.

    .venv/bin/python bench/run.py queries
"""

import os
import sys
import tempfile
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parent.parent
MAX_QUERIES = 12
GOAL = f"== 1 (and every page <= {MAX_QUERIES})"


def _setup(var_dir: str) -> None:
    os.environ["ATELIER_VAR_DIR"] = var_dir
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _world(tag: str):
    from atelier.orders.tests.factories import ServiceFactory, UserFactory, World

    def person(role: str, **roles):
        return UserFactory(email=f"{role}-{tag}@example.com", **roles)

    return World(
        customer=person("customer", is_customer=True),
        expert=person("expert", is_expert=True),
        expert2=person("expert2", is_expert=True),
        reviewer=person("reviewer", is_reviewer=True),
        agent=person("agent", is_agent=True),
        stranger=person("stranger", is_expert=True, is_customer=True),
        service=ServiceFactory(slug="resume-writing"),
    )


def _build(world, *, submissions: int, comments: int, others: int):
    """The world's busy order, and `others` more orders: delivered, in QC, at work by turns."""
    from atelier.orders.models import Order

    order = world.busy(submissions=submissions, comments=comments)
    for n in range(others):
        match n % 3:
            case 0:
                world.delivered(Order.Flow.MARKETPLACE)
            case 1:
                world.submit(world.assigned(Order.Flow.MARKETPLACE))  # waits for QC
            case _:
                world.assigned(Order.Flow.WRITER_PORTAL)
    return order


def _reads(world, order) -> dict[str, tuple[object, str]]:
    """Each read: who makes it, and the URL."""
    from django.urls import reverse

    from atelier.backoffice.queries import TABS

    page = reverse("order-detail", args=[order.pk])
    submission = order.submissions.order_by("-number").first()
    tabs = {
        "customer": ["overview", "conversation", "timeline"],
        "expert": ["overview", "work", "conversation", "timeline"],
        "reviewer": ["overview", "timeline"],
        "agent": ["overview", "conversation", "timeline"],
    }
    reads = {
        f"order page {tab} ({role})": (getattr(world, role), f"{page}?tab={tab}")
        for role, names in tabs.items()
        for tab in names
    }
    console = reverse("console-order", args=[order.pk])
    reads |= {f"console order page {tab}": (world.agent, f"{console}?tab={tab}") for tab in TABS}
    api = f"/api/v1/orders/{order.pk}"
    reads |= {
        "my orders (customer)": (world.customer, reverse("home")),
        "expert dashboard /work/": (world.expert, reverse("expert-dashboard")),
        "QC queue": (world.reviewer, reverse("qc-queue")),
        "console order list": (world.agent, reverse("console-orders")),
        "inbox (customer)": (world.customer, reverse("inbox")),
        "API orders (customer)": (world.customer, "/api/v1/orders"),
        "API orders (agent)": (world.agent, "/api/v1/orders"),
        "API order (customer)": (world.customer, api),
        "API submissions (customer)": (world.customer, f"{api}/submissions"),
        "API submissions (expert)": (world.expert, f"{api}/submissions"),
        "API submission (expert)": (world.expert, f"/api/v1/submissions/{submission.pk}"),
        "API revision requests (expert)": (world.expert, f"{api}/revision-requests"),
        "API comments (customer)": (world.customer, f"{api}/comments"),
        "API timeline (customer)": (world.customer, f"{api}/events"),
        "API event log (agent)": (world.agent, "/api/v1/events"),
        "API event log (customer)": (world.customer, "/api/v1/events"),
    }
    return reads


def _count(client, user, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return len(queries.captured_queries)


def _measure(client, world, order) -> dict[str, int]:
    from django.urls import reverse

    # The customer's first view opens every delivery: counted once, as a read of its own.
    first = {
        "order page overview, first view (customer)": _count(
            client, world.customer, reverse("order-detail", args=[order.pk])
        )
    }
    reads = _reads(world, order)
    for user, url in reads.values():
        _count(client, user, url)  # once before, as a reader who comes back
    return first | {name: _count(client, user, url) for name, (user, url) in reads.items()}


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="atelier-bench-queries-") as var_dir:
        _setup(var_dir)
        from django.test import Client

        client = Client(SERVER_NAME="localhost")
        small_world = _world("small")
        small = _measure(
            client, small_world, _build(small_world, submissions=1, comments=1, others=3)
        )
        large_world = _world("large")
        large = _measure(
            client, large_world, _build(large_world, submissions=50, comments=200, others=30)
        )
    runs = [{"read": name, "small": small[name], "large": large[name]} for name in small]
    worst = max(run["large"] / run["small"] for run in runs)
    # The first view may write (once per delivery, a constant number of statements): its count
    # is held to the ratio, not to the page budget.
    over = [
        run["read"]
        for run in runs
        if max(run["small"], run["large"]) > MAX_QUERIES and "first view" not in run["read"]
    ]
    grew = [run["read"] for run in runs if run["large"] != run["small"]]
    result = harness.Result(
        name="queries",
        goal=GOAL,
        ratio=worst,
        passed=worst == 1 and not over,
        runs=runs,
        details={
            "small": "1 submission x 3 files, 1 comment, 3 other orders",
            "large": "50 submissions x 3 files, 50 revision requests, 200 comments, "
            "30 other orders",
            "grew": grew or "none",
            f"over {MAX_QUERIES}": over or "none",
            "reads": {run["read"]: f"{run['small']} -> {run['large']}" for run in runs},
        },
    )
    harness.report(result)
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
