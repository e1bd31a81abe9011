from django.contrib import admin

from atelier.core.admin import ReadOnlyAdmin

from .models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
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
