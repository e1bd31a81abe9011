from django.contrib import admin

from .models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "flow",
        "reward_amount",
        "revision_triage",
        "is_active",
    ]
    list_filter = ["revision_triage", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]
