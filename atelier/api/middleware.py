"""django-ninja answers a wrong method on a known path (405) itself, outside the API's exception
handlers; this gives that answer the API's error shape too."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


def method_not_allowed_as_json(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            message = f"{request.method} is not allowed here; use {response.get('Allow', '')}."
            answer = JsonResponse(
                {"error": {"code": "method_not_allowed", "message": message}}, status=405
            )
            answer["Allow"] = response.get("Allow", "")
            return answer
        return response

    return middleware
