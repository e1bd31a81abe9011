"""Upload 1 GiB through the real server and compare it with `cp` of the same file.

    .venv/bin/python bench/upload_1gib.py            # or: make bench
    .venv/bin/python bench/upload_1gib.py --size-mib 256 --workers 3 --keep

What it does, in a throw-away directory under var/ (so every file is on the same disk):
1. writes a file of random bytes (os.urandom: incompressible, not sparse, so nothing is
   cheaper than it would be for a real recording) and its SHA-256;
2. migrates a fresh SQLite database, makes an expert with an order in progress and an API token;
3. starts gunicorn as `make serve` does (gthread workers) on that database and media directory;
4. warms the worker(s) up with a small upload, then POSTs the file to
   /api/v1/orders/{id}/submissions as the expert's submission, streamed from disk (the request
   body is an iterator of 1 MiB blocks with a Content-Length: never read whole), while sampling
   every server process's VmRSS in /proc every 50 ms;
5. times `cp` of the same file on the same disk, followed by `sync` of the copy (the upload's
   answer means the file is on disk, fsynced: cp alone would only reach the page cache), before
   every upload, and prints the upload's throughput as a ratio to cp's, and the server's peak
   memory growth. It does this --runs times (3) and prints each run and the medians, since a
   shared machine's disk and CPUs vary from one second to the next.
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
BLOCK = MiB
BOUNDARY = "atelier-bench-boundary"

SETUP = """
RUNS = __RUNS__
import json
from django.core.management import call_command
from atelier.accounts.models import User
from atelier.accounts.tokens import issue_token
from atelier.catalog.models import Service
from atelier.orders import actions

call_command("migrate", verbosity=0)
service = Service.objects.create(slug="bench", name="Bench")
agent = User.objects.create_user("agent@bench.example", "bench-password", is_agent=True)
customer = User.objects.create_user("customer@bench.example", "bench-password", is_customer=True)
expert = User.objects.create_user("expert@bench.example", "bench-password", is_expert=True)
orders = []
for n in range(RUNS):
    order = actions.create_order(actor=agent, customer=customer, service=service, title=f"#{n}")
    actions.assign_expert(order, actor=agent, expert=expert)
    orders.append(order.pk)
print(json.dumps({
    "order": orders[0],
    "orders": orders,
    "expert": issue_token(expert, name="bench")[1],
    "customer": issue_token(customer, name="bench")[1],
}))
"""


def setup_script(runs: int = 1) -> str:
    """Python for `manage.py shell -c`: migrate, make the people and `runs` orders in progress."""
    return SETUP.replace("__RUNS__", str(runs))


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.exists():
            found += [int(p) for p in path.read_text().split()]
    return found


class Sampler(threading.Thread):
    """Peak VmRSS of each process, sampled every `interval` seconds until stopped."""

    def __init__(self, pids: list[int], interval: float = 0.05):
        super().__init__(daemon=True)
        self.pids, self.interval = pids, interval
        self.before = {pid: rss_kib(pid) for pid in pids}
        self.peak = dict(self.before)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_kib(pid))
            time.sleep(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join()


class MultipartBody:
    """A multipart body of one file, produced block by block from disk; its length is known,
    so `requests` sends it with a Content-Length and streams it (never reading it whole)."""

    def __init__(self, path: Path, fields: dict[str, str]):
        head = "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        )
        head += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        self.head, self.tail = head.encode(), f"\r\n--{BOUNDARY}--\r\n".encode()
        self.path = path

    def __len__(self) -> int:
        return len(self.head) + self.path.stat().st_size + len(self.tail)

    def __iter__(self):
        yield self.head
        with self.path.open("rb") as f:
            while block := f.read(BLOCK):
                yield block
        yield self.tail


def write_random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as f:
        left = size
        while left:
            block = os.urandom(min(16 * MiB, left))
            f.write(block)
            digest.update(block)
            left -= len(block)
        f.flush()
        os.fsync(f.fileno())
    return digest.hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("gunicorn exited before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("gunicorn did not listen in time")


def bench_env(work: Path, **extra: str) -> dict[str, str]:
    """The server's environment: a fresh SQLite database, media and upload directories, all
    under `work` (one disk)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "atelier.settings",
        "ATELIER_VAR_DIR": str(work / "var"),
        "DATABASE_URL": f"sqlite:///{work / 'var' / 'bench.sqlite3'}",
        "ATELIER_MEDIA_ROOT": str(work / "var" / "media"),
        "ATELIER_UPLOAD_TEMP_DIR": str(work / "var" / "uploads"),
        "ATELIER_STORAGE": "local",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def set_up(env: dict[str, str], runs: int = 1) -> dict:
    """Migrate, make the people and `runs` orders in progress; their ids and API tokens."""
    setup = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", setup_script(runs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(setup.stdout.strip().splitlines()[-1])


def start_gunicorn(
    env: dict[str, str], *, workers: int, threads: int
) -> tuple[subprocess.Popen, int]:
    """gunicorn as `make serve` runs it (gthread workers), listening on a free port."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "atelier.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            *("--workers", str(workers), "--worker-class", "gthread"),
            *("--threads", str(threads)),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    wait_for(port, server)
    return server, port


def stop(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def cp_seconds(source: Path, copy: Path) -> tuple[float, float]:
    """(cp alone, cp then sync of the copy), in seconds; the copy is removed afterwards."""
    started = time.perf_counter()
    subprocess.run(["cp", str(source), str(copy)], check=True)
    alone = time.perf_counter() - started
    subprocess.run(["sync", str(copy)], check=True)
    synced = time.perf_counter() - started
    copy.unlink()
    return alone, synced


def upload(api: str, order: int, bearer: str, source: Path, pids: list[int]) -> dict:
    sampler = Sampler(pids)
    sampler.start()
    cpu_before = {pid: cpu_seconds(pid) for pid in pids}
    client_before = sum(os.times()[:2])
    started = time.perf_counter()
    reply = requests.post(
        f"{api}/orders/{order}/submissions",
        headers={
            "Authorization": f"Bearer {bearer}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        },
        data=MultipartBody(source, {"titles": "Recording", "notes": "Benchmark"}),
        timeout=3600,
    )
    seconds = time.perf_counter() - started
    client_cpu = sum(os.times()[:2]) - client_before
    server_cpu = sum(cpu_seconds(pid) - cpu_before[pid] for pid in pids)
    sampler.stop()
    if reply.status_code != 201:
        sys.exit(f"The upload failed: {reply.status_code} {reply.text[:500]}")
    growth = {pid: (sampler.peak[pid] - sampler.before[pid]) / 1024 for pid in pids}
    busiest = max(growth, key=growth.get)
    return {
        "seconds": seconds,
        "stored": reply.json()["files"][0],
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
        "growth": growth[busiest],
        "rss": (sampler.before[busiest] / 1024, sampler.peak[busiest] / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (make serve: 3)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--dir", type=Path, default=ROOT / "var", help="where to work (one disk)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()

    args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=args.dir))
    media = work / "var" / "media"
    env = bench_env(work, DEBUG="0")
    server = None
    try:
        size = args.size_mib * MiB
        mib = size / MiB
        source = work / "recording.bin"
        print(f"Writing {args.size_mib} MiB of random bytes to {source} ...", flush=True)
        sha256 = write_random_file(source, size)

        ids = set_up(env, args.runs)
        server, port = start_gunicorn(env, workers=args.workers, threads=args.threads)
        api = f"http://127.0.0.1:{port}/api/v1"
        # Warm up: the worker imports and connects before the measurement starts.
        for _ in range(args.workers * 2):
            reply = requests.post(
                f"{api}/orders/{ids['order']}/attachments",
                headers={"Authorization": f"Bearer {ids['customer']}"},
                files={"files": ("warm-up.txt", b"warm-up\n")},
                timeout=30,
            )
            reply.raise_for_status()
        time.sleep(0.5)
        pids = [server.pid, *children(server.pid)]

        print(
            f"{mib:.0f} MiB of random bytes (SHA-256 {sha256[:16]}…); gunicorn with "
            f"{args.workers} gthread worker(s) x {args.threads} threads, SQLite, local storage; "
            f"everything in {work}; {os.cpu_count()} CPUs\n"
        )
        print(
            "run  upload s  MiB/s  server CPU s  client CPU s  cp+sync s  MiB/s  ratio  "
            "cp s  ratio  server RSS growth MiB"
        )
        results = []
        for n, order in enumerate(ids["orders"], 1):
            cp_alone, cp_synced = cp_seconds(source, work / "copy.bin")
            result = upload(api, order, ids["expert"], source, pids)
            stored = result["stored"]
            if (stored["sha256"], stored["size"]) != (sha256, size):
                sys.exit(f"The server recorded {stored}, not {size} bytes, SHA-256 {sha256}")
            for path in media.rglob("*"):  # keep the disk from filling up over the runs
                if path.is_file():
                    path.unlink()
            result.update(cp_alone=cp_alone, cp_synced=cp_synced)
            results.append(result)
            print(
                f"{n:>3}  {result['seconds']:8.2f}  {mib / result['seconds']:5.0f}  "
                f"{result['server_cpu']:12.2f}  {result['client_cpu']:12.2f}  "
                f"{cp_synced:9.2f}  {mib / cp_synced:5.0f}  {cp_synced / result['seconds']:5.2f}  "
                f"{cp_alone:4.2f}  {cp_alone / result['seconds']:5.2f}  "
                f"{result['growth']:.1f} ({result['rss'][0]:.1f} -> {result['rss'][1]:.1f})",
                flush=True,
            )

        def median(values: list[float]) -> float:
            return statistics.median(values)

        upload_s = median([r["seconds"] for r in results])
        synced_s = median([r["cp_synced"] for r in results])
        alone_s = median([r["cp_alone"] for r in results])
        print()
        print(f"upload throughput (median)        {mib / upload_s:7.1f} MiB/s")
        print(f"cp + sync throughput (median)     {mib / synced_s:7.1f} MiB/s")
        print(f"ratio upload / (cp + sync)        {synced_s / upload_s:7.2f}")
        print(f"ratio upload / cp (page cache)    {alone_s / upload_s:7.2f}")
        print(
            f"server peak RSS growth            {max(r['growth'] for r in results):7.1f} MiB "
            "(the largest of any server process, any run)"
        )
        print(f"this client's peak RSS            {rss_kib(os.getpid(), 'VmHWM') / 1024:7.1f} MiB")
    finally:
        stop(server)
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
