from django import forms
from django.http import HttpRequest

from apps.core.errors import ServiceError

from . import services
from .models import User


class LoginForm(forms.Form):
    """Web sign-in through the same throttled, audited check as the API."""

    username = forms.CharField(max_length=150, widget=forms.TextInput(
        attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))

    def __init__(self, request: HttpRequest, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None
        self.status_code = 200

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.user = services.auth_login_check(
                request=self.request, username=cleaned["username"],
                password=cleaned["password"], channel="web")
        except ServiceError as exc:
            self.status_code = exc.status_code
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return cleaned
