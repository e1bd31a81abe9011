"""`race`: RACE_N (1000) pros accept one speedy at the same moment, over the API, through gunicorn
as `make serve` runs it, on PostgreSQL (a fresh database of its own, bench_race; env ACCEPT_PG
for the server). DESIGN rule 1: exactly one wins (200), every other one is told "taken" (409),
nobody gets an error (5xx).

Each pro's request is on its own connection, sent from its own thread once all are ready
(a barrier); gunicorn queues what its 3 workers x 4 threads cannot take at once. The figure is
the number of winners (goal: == 1), and the run passes only with N-1 x 409 and 0 x 5xx.

    .venv/bin/python bench/run.py race        RACE_N=200 for a quick look
"""

import os
import sys
import threading
import time
from collections import Counter

import harness
import requests
from accept import django_on, people, server_env, speedy
from upload_1gib import start_gunicorn, stop

PATIENCE = 300  # seconds a request may wait in gunicorn's queue


def main(argv: list[str]) -> int:
    n = int(os.environ.get("RACE_N", "1000"))
    database = "bench_race"
    django_on(database)
    from django.db import connection

    agent, customer, service, pros = people(n)
    invitations = speedy(agent, customer, service, [pro for pro, _ in pros])
    connection.close()

    barrier = threading.Barrier(n)
    statuses: list[int | str] = []

    def accept(token: str, invitation: int, port: int) -> None:
        with requests.Session() as http:
            try:
                barrier.wait(timeout=PATIENCE)
                answer = http.post(
                    f"http://127.0.0.1:{port}/api/v1/invitations/{invitation}/accept",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=PATIENCE,
                )
                statuses.append(answer.status_code)
            except Exception as error:  # counted, never a hang
                statuses.append(type(error).__name__)

    threading.stack_size(256 * 1024)
    server, port = start_gunicorn(server_env(database), workers=3, threads=4)
    try:
        threads = [
            threading.Thread(target=accept, args=(token, invitations[pro.pk], port))
            for pro, token in pros
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        stop(server)

    counts = Counter(statuses)
    winners = counts[200]
    errors = sum(c for s, c in counts.items() if not isinstance(s, int) or s >= 500)
    passed = winners == 1 and counts[409] == n - 1 and errors == 0
    result = harness.Result(
        name="race",
        goal="== 1 winner, N-1 x 409, 0 x 5xx",
        ratio=float(winners),
        unit="winners",
        passed=passed,
        runs=[{"accepts": n, "200": winners, "409": counts[409], "5xx or failed": errors}],
        details={
            "statuses": {str(k): v for k, v in counts.most_common()},
            "seconds for all": round(elapsed, 2),
        },
    )
    harness.report(result)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
