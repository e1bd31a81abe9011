"""A tiny SMTP server for the worker tests: every message it accepts becomes one .eml file.

    python tests/smtp_sink.py --port 2525 --out /tmp/mails

A message is written (to a temporary name, then renamed, so a reader never sees half of one)
before the server answers 250: whatever the client counts as sent is on disk. It stops on
SIGTERM or SIGINT.
"""

import argparse
import asyncio
import os
import signal
import uuid
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session


class Store:
    def __init__(self, out: Path):
        self.out = out

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        name = f"{uuid.uuid4().hex}.eml"
        partial = self.out / f".{name}.part"
        partial.write_bytes(content)
        os.replace(partial, self.out / name)
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, out: Path) -> None:
    loop = asyncio.get_running_loop()
    store = Store(out)
    # A fixed hostname: aiosmtpd would otherwise ask DNS for this machine's name.
    server = await loop.create_server(
        lambda: SMTP(store, hostname="smtp-sink.test"), host=host, port=port
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"smtp_sink listening on {host}:{port}, writing to {out}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="directory for the .eml files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, args.out))


if __name__ == "__main__":
    main()
