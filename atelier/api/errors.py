"""Every error leaves the API as {"error": {"code", "message", "field"?}} with its HTTP status:
domain errors carry theirs (core/errors.py), the rest are mapped here, in one place."""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from atelier.core.errors import DomainError, Throttled

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
# Where ninja read a failing value: the first part of every validation error's location.
_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie", "fields"}
# The client's own mistakes about fields, named before the fields they may have meant.
_FIELD_MISTAKES = {"extra_forbidden", "form_only"}


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
    names = [str(part) for part in location]
    if names and names[0] in _SOURCES:
        source, names = names[0], names[1:]
        if source == "body":
            names = names[1:]  # the view's argument ("payload"), not a field the client sent
    # Pydantic names the failing field last, after list positions; "reward.amount" reads best.
    return ".".join(n for n in names if not n.isdigit()) or None


def _validation_message(error: dict, field: str | None) -> str:
    if error.get("type") == "extra_forbidden":
        return f"{field}: there is no such field here." if field else "Unknown field."
    message = error.get("msg", "The request is not valid.")
    if field:
        return f"{field}: {message}"
    # Without a field, what failed is the body schema itself.
    if error.get("type") == "missing":
        return "The request needs a JSON body."
    if error.get("type") in {"model_type", "model_attributes_type", "dict_type"}:
        return "The request body must be a JSON object."
    return message


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, error: DomainError):
        response = error_response(
            api, request, error.status, error.message, code=error.code, field=error.field
        )
        if isinstance(error, Throttled):
            response["Retry-After"] = str(error.retry_after)
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request, error: ValidationError):
        found = error.errors or [{}]
        first = next((e for e in found if e.get("type") in _FIELD_MISTAKES), found[0])
        field = _field(first.get("loc", ()))
        return error_response(api, request, 400, _validation_message(first, field), field=field)

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
