"""The public API, v1 (DESIGN.md "Public API"): django-ninja, mounted at /api/v1/."""

from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Router
from ninja.constants import NOT_SET

from . import (
    errors,
    events,
    files,
    ledger,
    openapi,
    orders,
    params,
    quality,
    ratings,
    services,
    tokens,
    webhooks,
    work,
)
from .parser import TextParser
from .security import AUTH


class AtelierAPI(NinjaAPI):
    """django-ninja's API, reading bodies strictly (params.py) and documenting every error
    (openapi.py)."""

    def __init__(self, **kwargs: Any) -> None:
        self.mounted: list[Router] = []  # before ninja's own __init__ mounts its default router
        super().__init__(**kwargs)

    def add_router(self, prefix: str, router: Router | str, **kwargs: Any) -> None:
        super().add_router(prefix, router, **kwargs)
        if isinstance(router, Router):
            params.read_strictly(router)
            self.mounted.append(router)

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        operations, throttled = {}, set()
        for router in self.mounted:
            for path_view in router.path_operations.values():
                for operation in path_view.operations:
                    name = operation.operation_id or self.get_openapi_operation_id(operation)
                    operations[name] = operation
                    shared = router.throttle is not NOT_SET or self.throttle is not NOT_SET
                    if operation.throttle_objects or shared:
                        throttled.add(name)
        schema = super().get_openapi_schema(**kwargs)
        return openapi.declare_errors(schema, operations, throttled=throttled)


api = AtelierAPI(
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
api.add_router("", quality.router)
api.add_router("", files.router)
api.add_router("", ledger.router)
api.add_router("", webhooks.router)
api.add_router("", events.router)
api.add_router("", services.router)
api.add_router("", ratings.router)


@csrf_exempt  # as ninja's own views: a token client's POST to a wrong path gets this 404
def unknown_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/: the API's 404, in the API's error shape."""
    return errors.error_response(api, request, 404, "There is no such endpoint.")
