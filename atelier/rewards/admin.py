from django.contrib import admin

from .models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are written by actions (credit an expert from an order's actions)."""

    list_display = [
        "created_at",
        "expert",
        "kind",
        "amount",
        "currency",
        "release_at",
        "order",
        "memo",
    ]
    list_filter = ["kind", "currency"]
    search_fields = ["expert__email", "memo", "key"]
    list_select_related = ["expert", "order"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
