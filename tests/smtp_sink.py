"""A tiny SMTP server for the worker tests: every message it accepts becomes one .eml file.

    python tests/smtp_sink.py --port 2525 --out /tmp/mails [--refuse someone@example.com ...]

A message is written (to a temporary name, then renamed, so a reader never sees half of one)
before the server answers 250: whatever the client counts as sent is on disk. Its name starts
with the number of the connection that brought it (<connection>-<random>.eml), and every
connection that sends mail (MAIL FROM; not a mere probe of the port) adds its number to
connections.log, so a reader can tell how many connections the client sent over and which
messages shared one. Recipients given with --refuse are refused (550), as a
mailbox that does not exist. It stops on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import itertools
import os
import signal
import uuid
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session


class Store:
    """The handler of one connection (the server makes one per connection)."""

    def __init__(self, out: Path, number: int, refuse: frozenset[str]):
        self.out, self.number, self.refuse = out, number, refuse
        self.logged = False

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if not self.logged:  # a connection that sends mail (not a probe of the port)
            self.logged = True
            with (self.out / "connections.log").open("a") as log:
                log.write(f"{self.number}\n")
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        name = f"{self.number}-{uuid.uuid4().hex}.eml"
        partial = self.out / f".{name}.part"
        partial.write_bytes(content)
        os.replace(partial, self.out / name)
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, out: Path, refuse: frozenset[str] = frozenset()) -> None:
    loop = asyncio.get_running_loop()
    connections = itertools.count(1)

    def connection() -> SMTP:
        # A fixed hostname: aiosmtpd would otherwise ask DNS for this machine's name.
        return SMTP(Store(out, next(connections), refuse), hostname="smtp-sink.test")

    server = await loop.create_server(connection, host=host, port=port)
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
    parser.add_argument("--refuse", action="append", default=[], help="a recipient to refuse")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    refuse = frozenset(address.lower() for address in args.refuse)
    asyncio.run(serve(args.host, args.port, args.out, refuse))


if __name__ == "__main__":
    main()
