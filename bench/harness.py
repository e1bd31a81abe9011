"""What every benchmark shares. A benchmark measures its figure and its baseline side by side in
one run (interleaved: A, B, A, B, ...), repeats, and reports the ratio with its goal:

    result = harness.Result(name="sweep", goal="<= 2x hand-written SQL", ratio=1.4, passed=True,
                            runs=[{"measured": 1.2, "baseline": 0.9}, ...], details={...})
    harness.report(result)

`report` writes var/bench/<name>.json ({"name", "ratio", "goal", "pass", "runs", ...}) and prints
a readable table. Ratios never compare figures from different runs or machines.
"""

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("ATELIER_VAR_DIR", ROOT / "var")) / "bench"


@dataclass
class Result:
    name: str
    goal: str
    ratio: float
    passed: bool
    runs: list[dict] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    unit: str = "ratio"


def interleaved(
    measured: Callable[[], float], baseline: Callable[[], float], repeats: int
) -> list[dict]:
    """Time both `repeats` times, alternating which goes first, so that a machine busy for a
    moment weighs on both alike. Each callable returns its own figure (seconds, req/s, ...)."""
    runs = []
    for n in range(repeats):
        if n % 2 == 0:
            m, b = measured(), baseline()
        else:
            b, m = baseline(), measured()
        runs.append({"measured": m, "baseline": b})
    return runs


def median_ratio(runs: list[dict]) -> float:
    return statistics.median(run["measured"] / run["baseline"] for run in runs if run["baseline"])


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "system": platform.platform(),
    }


def report(result: Result) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{result.name}.json"
    data = {**asdict(result), "pass": result.passed, "machine": machine()}
    del data["passed"]
    path.write_text(json.dumps(data, indent=2, default=str))
    verdict = "PASS" if result.passed else "FAIL"
    print(f"\n== {result.name}: {result.ratio:.3g} ({result.unit}), goal {result.goal}: {verdict}")
    if result.runs:
        keys = list(result.runs[0])
        print("  " + "  ".join(f"{key:>14}" for key in ["run", *keys]))
        for n, run in enumerate(result.runs, 1):
            cells = [
                f"{value:14.4g}" if isinstance(value, float) else f"{value!s:>14}"
                for value in run.values()
            ]
            print("  " + "  ".join([f"{n:>14}", *cells]))
    for key, value in result.details.items():
        print(f"  {key}: {value}")
    print(f"  written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path
