from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "recipient", "order", "status", "attempts", "read_at"]
    list_filter = ["event", "status"]
    search_fields = ["recipient__email"]
    list_select_related = ["recipient", "order"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
