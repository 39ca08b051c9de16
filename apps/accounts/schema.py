"""Tells drf-spectacular that our JWT authentication is simplejwt's Bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class RadCaseJWTScheme(SimpleJWTScheme):
    target_class = "apps.accounts.authentication.RadCaseJWTAuthentication"
    name = "jwtAuth"
