"""The public API, v1 (DESIGN.md "Public API"): django-ninja, mounted at /api/v1/."""

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from . import errors, events, files, ledger, orders, tokens, webhooks, work
from .parser import TextParser
from .security import AUTH

api = NinjaAPI(
    title="Atelier API",
    version="1",
    urls_namespace="api-1",
    auth=AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=TextParser(),
    # The guides, shown on /api/v1/docs: the curl walkthrough of the three flows, then the
    # webhooks (payloads, signatures and the verification snippet).
    description="\n\n".join(
        (Path(__file__).resolve().parents[2] / "docs" / name).read_text()
        for name in ("api.md", "webhooks.md")
    ),
)
errors.install(api)
api.add_router("", tokens.router)
api.add_router("/orders", orders.router)
api.add_router("", work.router)
api.add_router("", files.router)
api.add_router("", ledger.router)
api.add_router("", webhooks.router)
api.add_router("", events.router)


@csrf_exempt  # as ninja's own views: a token client's POST to a wrong path gets this 404
def unknown_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/: the API's 404, in the API's error shape."""
    return errors.error_response(api, request, 404, "There is no such endpoint.")
