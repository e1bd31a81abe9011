"""Page decorators that depend only on who the person is (roles), not on any order."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log in first; then 404 for anyone who is not an agent (agents' pages do not exist for
    them, so there is nothing to redirect to)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_agent:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper
