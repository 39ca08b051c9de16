from django.urls import path

from . import views

patient_urlpatterns = [
    path("", views.PatientListCreateView.as_view(), name="patient-list"),
    path("<int:patient_id>/", views.PatientDetailView.as_view(), name="patient-detail"),
]

case_urlpatterns = [
    path("", views.CaseListCreateView.as_view(), name="case-list"),
    path("<int:case_id>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("<int:case_id>/submit/", views.CaseSubmitView.as_view(), name="case-submit"),
    path("<int:case_id>/claim/", views.CaseClaimView.as_view(), name="case-claim"),
    path("<int:case_id>/release/", views.CaseReleaseView.as_view(), name="case-release"),
    path("<int:case_id>/assign/", views.CaseAssignView.as_view(), name="case-assign"),
]
