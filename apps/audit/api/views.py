import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated

from apps.core.permissions import IsAdmin

from .. import actions
from ..models import AuditEvent
from ..selectors import audit_event_list
from ..services import audit_record


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "actor", "actor_username", "action", "target_type",
                  "target_id", "patient_ref", "ip", "user_agent", "details", "hash"]
        read_only_fields = fields


class AuditEventFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    action = django_filters.CharFilter(field_name="action")
    action_prefix = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    patient = django_filters.CharFilter(field_name="patient_ref")

    class Meta:
        model = AuditEvent
        fields = ["actor", "target_type", "target_id", "ip"]


class AuditEventListView(ListAPIView):
    """The audit trail, newest first (administrators only). Filter by actor,
    action, patient, target, address and time range. Reading it is audited."""

    permission_classes = [IsAuthenticated, IsAdmin]
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AuditEvent.objects.none()
        return audit_event_list(user=self.request.user)

    @extend_schema(tags=["audit"])
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit_record(actor=request.user, action=actions.AUDIT_VIEWED,
                     target_type="audit.auditevent", request=request,
                     details={"filters": {k: v for k, v in request.query_params.items()}})
        return response
