"""A webhook receiver, as an integrator would write one: a stdlib HTTP server that checks each
request's signature with the snippet from docs/webhooks.md (copied, not imported: it knows
nothing of Atelier's code), answers 401 to a bad signature, can answer 500 to the first K good
ones (to exercise retries), and appends every verified request to a log as one JSON line:
{"answered", "id", "timestamp", "signature", "payload"}.

    python tests/webhook_receiver.py --port N --secret whsec_... --log FILE [--fail-first K]
"""

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# isort: split
# --- verification snippet (docs/webhooks.md) ---
import hashlib
import hmac
import time


def verify_atelier_webhook(secret, headers, body, tolerance=300):
    """True when `body` (the raw request bytes) was signed by Atelier with `secret` (the
    endpoint's whsec_... string) less than `tolerance` seconds ago. `headers` is the request's
    headers, looked up case-insensitively (as most frameworks do)."""
    timestamp = headers.get("Atelier-Webhook-Timestamp") or ""
    signatures = headers.get("Atelier-Webhook-Signature") or ""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    if age > tolerance:
        return False  # too old (a replay?) or from the future
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    for signature in signatures.replace(",", " ").split():
        scheme, _, value = signature.partition("=")
        if scheme == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


# --- end of snippet ---


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True, help="verified requests, one JSON line each")
    parser.add_argument("--fail-first", type=int, default=0, help="answer 500 to the first K")
    options = parser.parse_args()
    lock = threading.Lock()
    verified = 0

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            nonlocal verified
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not verify_atelier_webhook(options.secret, self.headers, body):
                print(f"rejected {self.headers.get('Atelier-Webhook-Id')}: bad signature")
                return self._answer(401, b"bad signature")
            with lock:
                verified += 1
                status = 500 if verified <= options.fail_first else 200
                line = {
                    "answered": status,
                    "id": self.headers.get("Atelier-Webhook-Id"),
                    "timestamp": self.headers.get("Atelier-Webhook-Timestamp"),
                    "signature": self.headers.get("Atelier-Webhook-Signature"),
                    "payload": json.loads(body),
                }
                with open(options.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps(line) + "\n")
            print(f"verified {line['id']} ({line['payload'].get('type')}): answered {status}")
            self._answer(status, b"forced failure" if status == 500 else b"thanks")

        def _answer(self, status: int, text: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    print(f"listening on {options.port}", flush=True)
    sys.stdout.reconfigure(line_buffering=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
