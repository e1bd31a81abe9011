from django.contrib import admin

from atelier.core.admin import ReadOnlyAdmin

from .models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "description", "events", "is_active", "created_by", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    exclude = ["secret"]  # shown on the console's endpoint page, not spread further


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "event",
        "endpoint",
        "order",
        "status",
        "attempts",
        "last_status_code",
    ]
    list_filter = ["event", "status"]
    search_fields = ["event_id", "endpoint__url"]
    list_select_related = ["endpoint", "order"]
