"""The public API, v1 (DESIGN.md "Public API"): django-ninja, mounted at /api/v1/."""

from ninja import NinjaAPI

from . import errors, files, ledger, orders, tokens, work
from .security import AUTH

api = NinjaAPI(
    title="Atelier API",
    version="1",
    urls_namespace="api-1",
    auth=AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
    description=(
        "Order fulfilment for expert services. Get a token with `POST /api/v1/auth/token`, "
        "then send `Authorization: Bearer <token>`. Errors are "
        '`{"error": {"code": ..., "message": ..., "field": ...}}`. Lists are newest first '
        "with cursor pagination: pass `next_cursor` back as `cursor`."
    ),
)
errors.install(api)
api.add_router("", tokens.router)
api.add_router("/orders", orders.router)
api.add_router("", work.router)
api.add_router("", files.router)
api.add_router("", ledger.router)
