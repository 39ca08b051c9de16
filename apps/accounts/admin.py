"""Django admin for users: administrators create, disable and re-role users.

Changes made here go through the same services as the API, so they are
validated and audited the same way.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.password_validation import validate_password

from apps.core.errors import ServiceError

from . import services
from .models import User
from .roles import Role


class UserAdminForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["roles"] = sorted(self.instance.role_set)


class UserCreateForm(forms.ModelForm):
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    roles = forms.MultipleChoiceField(choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"The username '{username}' is already taken.")
        return username

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password"):
            candidate = User(username=cleaned.get("username", ""),
                             email=cleaned.get("email", ""),
                             first_name=cleaned.get("first_name", ""),
                             last_name=cleaned.get("last_name", ""))
            try:
                validate_password(cleaned["password"], candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminForm
    add_form = UserCreateForm
    list_display = ("username", "first_name", "last_name", "email", "role_list", "is_active",
                    "last_login")
    list_filter = ("is_active", "role_assignments__role")
    fieldsets = ((None, {"fields": ("username", "email", "first_name", "last_name",
                                    "is_active", "roles")}),)
    add_fieldsets = ((None, {"fields": ("username", "password", "email", "first_name",
                                        "last_name", "roles")}),)
    readonly_fields = ("username",)
    actions = ["disable_users", "enable_users"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def has_delete_permission(self, request, obj=None):
        return False  # users are disabled, never deleted: the audit trail refers to them

    @admin.display(description="Roles")
    def role_list(self, obj: User) -> str:
        return ", ".join(sorted(obj.role_set)) or "—"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if not change:
                created = services.user_create(
                    created_by=request.user, request=request, username=data["username"],
                    password=data["password"], roles=data["roles"], email=data["email"],
                    first_name=data["first_name"], last_name=data["last_name"])
                obj.pk = created.pk
                obj.refresh_from_db()
                return
            current = User.objects.get(pk=obj.pk)
            services.user_update(updated_by=request.user, user=current, request=request,
                                 email=data["email"], first_name=data["first_name"],
                                 last_name=data["last_name"])
            services.user_set_roles(changed_by=request.user, user=current,
                                    roles=data["roles"], request=request)
            if data["is_active"] != current.is_active:
                if data["is_active"]:
                    services.user_enable(enabled_by=request.user, user=current, request=request)
                else:
                    services.user_disable(disabled_by=request.user, user=current,
                                          request=request)
            obj.refresh_from_db()
        except ServiceError as exc:
            messages.error(request, exc.message)

    def save_related(self, request, form, formsets, change):
        pass  # roles are saved by the services in save_model

    @admin.action(description="Disable selected users")
    def disable_users(self, request, queryset):
        for user in queryset:
            try:
                services.user_disable(disabled_by=request.user, user=user, request=request)
            except ServiceError as exc:
                messages.error(request, f"{user.username}: {exc.message}")

    @admin.action(description="Enable selected users")
    def enable_users(self, request, queryset):
        for user in queryset:
            services.user_enable(enabled_by=request.user, user=user, request=request)
