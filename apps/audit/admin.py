from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail can be searched and read, never edited."""

    list_display = ("id", "occurred_at", "actor_username", "action", "target_type",
                    "target_id", "patient_ref", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("actor_username", "action", "target_id", "patient_ref", "ip")
    date_hierarchy = "occurred_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
