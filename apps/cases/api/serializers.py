import datetime as dt

from django.utils import timezone
from rest_framework import serializers

from ..models import Case, Modality, Patient, Sex, Status, Urgency


def age_in_years(birth_date: dt.date | None) -> int | None:
    if birth_date is None:
        return None
    today = timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) <
                                           (birth_date.month, birth_date.day))


class PatientSerializer(serializers.ModelSerializer):
    age = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = ["id", "mrn", "name", "birth_date", "age", "sex", "created_at"]
        read_only_fields = fields

    def get_age(self, patient: Patient) -> int | None:
        return age_in_years(patient.birth_date)


class PatientInputSerializer(serializers.Serializer):
    mrn = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN)


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField(source="get_full_name")


class CaseSerializer(serializers.ModelSerializer):
    patient = PatientSerializer()
    referring_doctor = UserBriefSerializer()
    assigned_radiologist = UserBriefSerializer(allow_null=True)

    class Meta:
        model = Case
        fields = ["id", "pseudonym", "patient", "referring_doctor", "assigned_radiologist",
                  "modality", "body_part", "clinical_question", "urgency", "status",
                  "created_at", "updated_at", "submitted_at", "in_review_at", "reported_at",
                  "signed_at", "amended_at"]
        read_only_fields = fields


class WorklistRowSerializer(serializers.ModelSerializer):
    """What one worklist row shows; everything comes from the one query."""

    patient = PatientSerializer()
    referring_doctor = UserBriefSerializer()
    assigned_radiologist = UserBriefSerializer(allow_null=True)
    image_count = serializers.IntegerField()
    waiting_minutes = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["id", "pseudonym", "patient", "modality", "body_part", "urgency", "status",
                  "referring_doctor", "assigned_radiologist", "image_count", "created_at",
                  "submitted_at", "waiting_minutes"]
        read_only_fields = fields

    def get_waiting_minutes(self, case: Case) -> int | None:
        if case.submitted_at is None or case.status not in (Status.SUBMITTED, Status.IN_REVIEW):
            return None
        return int((timezone.now() - case.submitted_at).total_seconds() // 60)


class CaseCreateSerializer(serializers.Serializer):
    """Either `patient_id` (a patient you can see) or `patient` (MRN and
    demographics; registered if new, checked against the record if known)."""

    patient_id = serializers.IntegerField(required=False)
    patient = PatientInputSerializer(required=False)
    modality = serializers.ChoiceField(choices=Modality.choices)
    body_part = serializers.CharField(max_length=64)
    clinical_question = serializers.CharField(required=False, allow_blank=True, default="",
                                              max_length=4000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)

    def validate(self, attrs):
        if ("patient_id" in attrs) == ("patient" in attrs):
            raise serializers.ValidationError(
                "Give either patient_id or patient (MRN and demographics), not both or neither.")
        return attrs


class CaseUpdateSerializer(serializers.Serializer):
    modality = serializers.ChoiceField(choices=Modality.choices, required=False)
    body_part = serializers.CharField(max_length=64, required=False)
    clinical_question = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)


class CaseAssignSerializer(serializers.Serializer):
    radiologist_id = serializers.IntegerField()


class WorklistQuerySerializer(serializers.Serializer):
    status = serializers.ListField(child=serializers.ChoiceField(choices=Status.choices),
                                   required=False)
    urgency = serializers.ListField(child=serializers.ChoiceField(choices=Urgency.choices),
                                    required=False)
    modality = serializers.ChoiceField(choices=Modality.choices, required=False)
    assigned_to_me = serializers.BooleanField(required=False, default=False)
    unassigned = serializers.BooleanField(required=False, default=False)
    submitted_from = serializers.DateField(required=False)
    submitted_to = serializers.DateField(required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        start, end = attrs.get("submitted_from"), attrs.get("submitted_to")
        if start and end and start > end:
            raise serializers.ValidationError("submitted_from is after submitted_to.")
        return attrs
