from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept as history: agents browse it, only the engine's actions write it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
