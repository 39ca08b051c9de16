from django.urls import path

from . import views

auth_urlpatterns = [
    path("token/", views.TokenObtainView.as_view(), name="token-obtain"),
    path("token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
]

user_urlpatterns = [
    path("", views.UserListCreateView.as_view(), name="user-list"),
    path("<int:user_id>/", views.UserDetailView.as_view(), name="user-detail"),
    path("<int:user_id>/disable/", views.UserDisableView.as_view(), name="user-disable"),
    path("<int:user_id>/enable/", views.UserEnableView.as_view(), name="user-enable"),
    path("<int:user_id>/password/", views.UserPasswordResetView.as_view(),
         name="user-password-reset"),
]
