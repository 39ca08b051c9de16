from django import forms

from .models import Modality, Sex, Status, Urgency


class CaseCreateForm(forms.Form):
    mrn = forms.CharField(label="MRN", max_length=64)
    name = forms.CharField(label="Patient name", max_length=200)
    birth_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNKNOWN)
    modality = forms.ChoiceField(choices=Modality.choices, initial=Modality.MR)
    body_part = forms.CharField(max_length=64, initial="BRAIN")
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.ROUTINE)
    clinical_question = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                        max_length=4000)


class WorklistFilterForm(forms.Form):
    status = forms.MultipleChoiceField(choices=Status.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    urgency = forms.MultipleChoiceField(choices=Urgency.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple)
    modality = forms.ChoiceField(choices=[("", "any"), *Modality.choices], required=False)
    assigned_to_me = forms.BooleanField(required=False)
    q = forms.CharField(required=False, max_length=200, label="MRN or name")
