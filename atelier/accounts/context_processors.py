from django.conf import settings

from .middleware import signed_in_with_second_factor


def second_factor_notice(request) -> dict:
    """Where agents may work without a second factor (the demo), each page they see says so."""
    user = getattr(request, "user", None)
    if settings.ATELIER_AGENT_MFA_REQUIRED or user is None or not user.is_authenticated:
        return {}
    return {"second_factor_notice": user.is_agent and not signed_in_with_second_factor(request)}
