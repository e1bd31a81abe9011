from django.http import HttpRequest

from atelier.notifications.models import Notification


def unread_count(request: HttpRequest) -> dict:
    """The unread count beside "Inbox" in the top bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": Notification.objects.filter(recipient=user, read_at=None).count()}
