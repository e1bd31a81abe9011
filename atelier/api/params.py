"""Request bodies are read strictly: a field an operation does not read is refused with a 400
that names it, never dropped, so a misspelt field cannot pass for an omitted one.

JSON bodies are schemas deriving from `schemas.Input` (pydantic's extra="forbid"). Forms and
multipart bodies django-ninja reads field by field from request.POST and request.FILES, ignoring
the rest; so every operation that changes something and reads no JSON schema gets one more
model, which compares the names sent with the names the operation reads (`read_strictly`, run by
the API on every router it mounts). An operation that reads no body at all refuses any field.

`FormOrJson`: a form field that may come in a JSON object instead, for an operation whose files
are optional (a comment: JSON, or multipart with attachments).
"""

from typing import Any, ClassVar

from django.http import HttpRequest
from ninja import NinjaAPI, Router
from ninja.operation import Operation
from ninja.params.models import Form, FormModel, ParamModel
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from atelier.core.errors import InvalidInput

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Django's form field for the CSRF token, which a browser's form post may carry.
_ALWAYS_ALLOWED = {"csrfmiddlewaretoken"}


def is_json(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    return content_type == "application/json" or content_type.endswith("+json")


def _json_object(request: HttpRequest, api: NinjaAPI) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = api.parser.parse_body(request)  # the parser refuses NUL itself, with a 400
    except ValueError:  # json's decode errors, and undecodable bytes
        raise InvalidInput("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.")
    return data


class _FormOrJsonModel(FormModel):
    @classmethod
    def get_request_data(cls, request: HttpRequest, api: NinjaAPI, path_params: dict) -> Any:
        if is_json(request):
            return _json_object(request, api)
        return super().get_request_data(request, api, path_params)


class _FormOrJson(Form):
    _model = _FormOrJsonModel

    @classmethod
    def _param_source(cls) -> str:
        return "form"  # read, documented and reported as a form field


def FormOrJson(default: Any, **kwargs: Any) -> Any:
    """A form field that may also come in a JSON object body (`body: str = FormOrJson(...)`)."""
    return _FormOrJson(default, **kwargs)


class OnlyDeclaredFields(ParamModel):
    """Refuses the fields of a form, multipart or JSON body that its operation does not read;
    one subclass per operation, made by `read_strictly`."""

    __ninja_param_source__ = "fields"
    __ninja_flatten_map_reverse__: ClassVar[dict] = {}
    form_names: ClassVar[frozenset[str]] = frozenset()  # read from a form or multipart body
    json_names: ClassVar[frozenset[str]] = frozenset()  # from a JSON object too (FormOrJson)

    @classmethod
    def get_request_data(cls, request: HttpRequest, api: NinjaAPI, path_params: dict) -> Any:
        return None  # unused: resolve() does the work

    @classmethod
    def resolve(cls, request: HttpRequest, api: NinjaAPI, path_params: dict) -> ParamModel:
        errors: list[InitErrorDetails] = []
        if is_json(request):
            for name, value in _json_object(request, api).items():
                if name in cls.json_names:
                    continue
                if name in cls.form_names:
                    wrong = PydanticCustomError(
                        "form_only", "Send this as multipart/form-data: it cannot come in JSON."
                    )
                    errors.append({"type": wrong, "loc": (name,), "input": value})
                else:
                    errors.append({"type": "extra_forbidden", "loc": (name,), "input": value})
        else:
            sent = [*request.POST, *request.FILES]
            for name in dict.fromkeys(sent):
                if name not in cls.form_names and name not in _ALWAYS_ALLOWED:
                    errors.append({"type": "extra_forbidden", "loc": (name,), "input": name})
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return cls()


def _names(model: type[ParamModel]) -> set[str]:
    flattened = getattr(model, "__ninja_flatten_map__", None)
    if flattened:
        return set(flattened)
    return {field.alias or name for name, field in model.model_fields.items()}


def _strict_model(operation: Operation) -> type[OnlyDeclaredFields] | None:
    if not UNSAFE_METHODS & set(operation.methods):
        return None
    sources = {model.__ninja_param_source__ for model in operation.models}
    if "body" in sources or "fields" in sources:  # a JSON schema checks itself; done already
        return None
    form_names: set[str] = set()
    json_names: set[str] = set()
    for model in operation.models:
        if model.__ninja_param_source__ in {"form", "file"}:
            form_names |= _names(model)
        if issubclass(model, _FormOrJsonModel):
            json_names |= _names(model)
    return type(
        "OnlyDeclaredFields",
        (OnlyDeclaredFields,),
        {"form_names": frozenset(form_names), "json_names": frozenset(json_names)},
    )


def read_strictly(router: Router) -> None:
    """Give every write operation of `router` that reads no JSON schema its field check."""
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            strict = _strict_model(operation)
            if strict is not None:
                operation.models.append(strict)


def strict_operation(operation: Operation) -> type[OnlyDeclaredFields] | None:
    """The field check `read_strictly` gave `operation`, if any."""
    return next((m for m in operation.models if issubclass(m, OnlyDeclaredFields)), None)
