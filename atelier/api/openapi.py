"""The OpenAPI document declares every answer an operation can give, its errors included, each
in the one error shape ({"error": {"code", "message", "field"}}, errors.py). Which errors an
operation can give follows from what it is, so they are added here, in one place, to the
document django-ninja generates; an operation declares only what does not follow (the 401
and 429 of the token exchange, whose login limit is its own) in its decorator's `response=`:

- 400 when it reads anything from the client (a query, a body) or changes something (a write
  refuses the fields it does not read, params.py): bad, missing or unknown fields;
- 401 and 403 when it needs a login (403: logged in, but not allowed to do this);
- 404 when its path names something (which may not exist, or may not be the caller's to see);
- 409 when it changes something its path names (whose state may not allow it now);
- 413 when it reads a body (over the size limit);
- 429 when django-ninja throttles it (a `throttle=` on it, its router or the API).

Form and multipart bodies are documented as read (params.py): no other fields, and the fields
a FormOrJson operation also reads from a JSON object.
"""

from typing import Any

from ninja.openapi.schema import REF_TEMPLATE
from ninja.operation import Operation

from .params import strict_operation
from .schemas import Error

ERRORS = {
    400: "Bad input: a field is missing, malformed, over its limit or unknown (`field` names it)",
    401: "Not authenticated: no valid token or session (for a new token: wrong credentials)",
    403: "Not allowed: you may see it, but not do this",
    404: "Not found, or not yours to see",
    409: "Conflict: its state does not allow this now",
    413: "Too large: the body or a file is over its size limit",
    429: "Too many attempts: try again after Retry-After seconds",
}
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def error_codes(method: str, entry: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer with, from what it is (see above)."""
    parameters = entry.get("parameters", [])
    in_path = any(p["in"] == "path" for p in parameters)
    reads = "requestBody" in entry or any(p["in"] != "path" for p in parameters)
    codes = {400} if reads or method.lower() != "get" else set()
    if entry.get("security"):
        codes |= {401, 403}
    if in_path:
        codes.add(404)
        if method.lower() != "get":
            codes.add(409)
    if "requestBody" in entry:
        codes.add(413)
    return codes


def _strict_forms(entry: dict[str, Any], operation: Operation | None) -> None:
    strict = strict_operation(operation) if operation is not None else None
    content = entry.get("requestBody", {}).get("content", {})
    if strict is None or not content:
        return
    form = next((content[t]["schema"] for t in _FORMS if t in content), None)
    if form is None:
        return
    form["additionalProperties"] = False
    if strict.json_names:
        properties = form.get("properties", {})
        as_json = {
            "title": f"{form.get('title', 'Body')}Json",
            "type": "object",
            "properties": {n: p for n, p in properties.items() if n in strict.json_names},
            "additionalProperties": False,
        }
        required = [n for n in form.get("required", []) if n in strict.json_names]
        if required:
            as_json["required"] = required
        content["application/json"] = {"schema": as_json}


def declare_errors(
    schema: dict[str, Any], operations: dict[str, Operation], *, throttled: set[str]
) -> dict[str, Any]:
    """Add each operation's error answers (and its forms' strictness) to `schema`;
    `operations` by operationId, `throttled` the ids of those django-ninja throttles."""
    error = Error.model_json_schema(ref_template=REF_TEMPLATE)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(error.pop("$defs", {}))
    components["Error"] = error
    ref = REF_TEMPLATE.format(model="Error")
    for methods in schema["paths"].values():
        for method, entry in methods.items():
            _strict_forms(entry, operations.get(entry.get("operationId", "")))
            responses = entry.setdefault("responses", {})
            declared = {int(code) for code in responses if 400 <= int(code) < 500}
            if entry.get("operationId") in throttled:
                declared.add(429)
            for code in error_codes(method, entry) | declared:
                responses.pop(str(code), None)
                responses[code] = {
                    "description": ERRORS.get(code, "Error"),
                    "content": {"application/json": {"schema": {"$ref": ref}}},
                }
            entry["responses"] = dict(sorted(responses.items(), key=lambda item: int(item[0])))
    return schema
