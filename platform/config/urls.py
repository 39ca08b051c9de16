"""URL map. Every route under /api/ requires authentication except the
allowlist in `PUBLIC_API_ROUTES` (a test walks the resolver to check it)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts import views as account_views
from apps.accounts.api.urls import auth_urlpatterns, user_urlpatterns
from apps.cases import views as case_views
from apps.cases.api.urls import case_urlpatterns, patient_urlpatterns
from apps.core.views import health
from apps.imaging import views as imaging_views
from apps.imaging.api.urls import case_imaging_urlpatterns, image_urlpatterns, series_urlpatterns

# Route names reachable without credentials. Anything else under /api/ must
# answer 401 to an anonymous caller.
PUBLIC_API_ROUTES = frozenset({"token-obtain", "token-refresh", "logout", "schema", "docs"})

api_urlpatterns = [
    path("auth/", include(auth_urlpatterns)),
    path("users/", include(user_urlpatterns)),
    path("audit/", include("apps.audit.api.urls")),
    path("patients/", include(patient_urlpatterns)),
    path("cases/", include(case_urlpatterns + case_imaging_urlpatterns)),
    path("series/", include(series_urlpatterns)),
    path("images/", include(image_urlpatterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("", account_views.home_view, name="home"),
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout-web"),
    path("health/", health, name="health"),
    path("worklist/", case_views.worklist_view, name="worklist"),
    path("cases/new/", case_views.case_create_view, name="case-new"),
    path("cases/<int:case_id>/", case_views.case_page_view, name="case-page"),
    path("cases/<int:case_id>/upload/", imaging_views.case_upload_view, name="case-upload"),
    path("cases/<int:case_id>/<str:action>/", case_views.case_action_view, name="case-action"),
    # One sign-in page for everything: the admin's own login form would bypass
    # the throttled, audited login service.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
]

admin.site.site_header = "RadCase administration"
admin.site.site_title = "RadCase admin"
