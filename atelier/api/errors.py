"""Every error leaves the API as {"error": {"code", "message", "field"?}} with its HTTP status:
domain errors carry theirs (core/errors.py), the rest are mapped here, in one place."""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from atelier.core.errors import DomainError

logger = logging.getLogger(__name__)

_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "throttled",
}
_SECTIONS = {"body", "query", "path", "form", "file", "header", "cookie", "payload"}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    message: str,
    *,
    code: str | None = None,
    field: str | None = None,
) -> HttpResponse:
    error = {"code": code or _CODES.get(status, "error"), "message": message}
    if field:
        error["field"] = field
    response = api.create_response(request, {"error": error}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="atelier"'
    return response


def _field(location: tuple | list) -> str | None:
    names = [str(part) for part in location if str(part) not in _SECTIONS]
    # Pydantic names the failing field last, after list positions; "reward.amount" reads best.
    return ".".join(n for n in names if not n.isdigit()) or None


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, error: DomainError):
        return error_response(
            api, request, error.status, error.message, code=error.code, field=error.field
        )

    @api.exception_handler(ValidationError)
    def validation_error(request, error: ValidationError):
        first = error.errors[0] if error.errors else {}
        field = _field(first.get("loc", ()))
        message = first.get("msg", "The request is not valid.")
        if field:
            message = f"{field}: {message}"
        return error_response(api, request, 400, message, field=field)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, error):
        return error_response(
            api, request, 401, "Log in, or send a token: Authorization: Bearer <token>."
        )

    @api.exception_handler(HttpError)
    def http_error(request, error: HttpError):
        if isinstance(error.__cause__, DomainError):  # ours, wrapped by ninja's body parsing
            return domain_error(request, error.__cause__)
        return error_response(api, request, error.status_code, str(error))

    @api.exception_handler(Http404)
    def not_found(request, error):
        return error_response(api, request, 404, "Not found.")

    @api.exception_handler(MultiPartParserError)
    def unreadable_body(request, error):
        # E.g. "Content-Type: multipart/form-data" with no boundary: the client's fault.
        return error_response(api, request, 400, f"The request body cannot be read: {error}")

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request, error):
        # What Django itself answers with 400 (too many fields or files; or 413, too big).
        if isinstance(error, RequestDataTooBig):
            return error_response(api, request, 413, "The request body is too large.")
        return error_response(api, request, 400, "The request is not valid.")

    @api.exception_handler(Exception)
    def server_error(request, error):
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(
            api,
            request,
            500,
            "Something went wrong on our side; it has been logged.",
            code="server_error",
        )
