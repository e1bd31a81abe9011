from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone


class TimezoneMiddleware:
    """Show times in the viewer's own zone (their profile), else the platform's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = request.user.time_zone if request.user.is_authenticated else ""
        try:
            timezone.activate(ZoneInfo(zone)) if zone else timezone.deactivate()
        except (ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)
