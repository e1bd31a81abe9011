"""`upload`: 1 GiB through gunicorn vs cp + sync of the same file (bench/upload_1gib.py)."""

import sys

import upload_1gib


def main(argv: list[str]) -> int:
    sys.argv = ["upload_1gib.py", *argv]
    upload_1gib.main()
    return 0
