"""`make bench` runs every benchmark; `make bench BENCH=<name>` one of them.

Each is bench/<name>.py with a main(argv) that measures its figure against its baseline in one
run and reports through bench/harness.py (var/bench/<name>.json and a table)."""

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = ["queries", "pages", "sweep", "notify", "accept", "race", "scale", "upload"]


def main(argv: list[str]) -> int:
    wanted = argv[:1] if argv and argv[0] != "all" else NAMES
    extra = argv[1:]
    unknown = [name for name in wanted if name not in NAMES]
    if unknown:
        print(f"No benchmark named {unknown[0]!r}; there are: {', '.join(NAMES)}")
        return 2
    sys.path.insert(0, str(HERE))
    failed = []
    for name in wanted:
        if not (HERE / f"{name}.py").exists():
            print(f"\n== {name}: not built yet")
            failed.append(name)
            continue
        print(f"\n== {name}", flush=True)
        if importlib.import_module(name).main(extra) != 0:
            failed.append(name)
    if failed:
        print(f"\nDid not meet their goal (or are missing): {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
