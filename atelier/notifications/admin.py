from django.contrib import admin

from atelier.core.admin import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "recipient", "order", "status", "attempts", "read_at"]
    list_filter = ["event", "status"]
    search_fields = ["recipient__email"]
    list_select_related = ["recipient", "order"]
