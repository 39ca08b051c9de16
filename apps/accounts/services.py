"""Writes to users and roles, and the login itself. Every function here is
keyword-only, atomic and audited."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.audit import actions
from apps.audit.services import audit_record
from apps.core.errors import ConflictError, ForbiddenError, ServiceError
from apps.core.request_info import client_ip

from . import login_throttle
from .models import RoleAssignment, User
from .roles import Role


class LoginThrottled(ServiceError):
    status_code = 429
    code = "throttled"

    def __init__(self, wait_s: int) -> None:
        super().__init__(
            f"Too many failed logins. Try again in {wait_s} seconds.",
            details={"retry_after_s": wait_s},
        )
        self.wait_s = wait_s


class InvalidCredentials(ServiceError):
    status_code = 401
    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("Unknown username, wrong password, or a disabled account.")


# --- login ------------------------------------------------------------------

def auth_login_check(*, request: HttpRequest, username: str, password: str, channel: str) -> User:
    """Check credentials, with failed-login throttling and auditing.

    Returns the user; raises LoginThrottled (429) or InvalidCredentials (401).
    `channel` ("api" or "web") is recorded in the audit trail. The caller
    then issues tokens or a session (and records nothing more).
    """
    ip = client_ip(request)
    wait = login_throttle.seconds_until_allowed(username, ip)
    if wait:
        audit_record(actor=None, action=actions.LOGIN_THROTTLED, target_type="accounts.user",
                     request=request, details={"username": username[:150], "channel": channel})
        raise LoginThrottled(wait)
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_throttle.register_failure(username, ip)
        audit_record(actor=None, action=actions.LOGIN_FAILED, target_type="accounts.user",
                     request=request, details={"username": username[:150], "channel": channel})
        raise InvalidCredentials()
    login_throttle.clear_failures(username)
    audit_record(actor=user, action=actions.LOGIN, target=user, request=request,
                 details={"channel": channel})
    return user


def auth_logout_record(*, user: User, request: HttpRequest, channel: str) -> None:
    audit_record(actor=user, action=actions.LOGOUT, target=user, request=request,
                 details={"channel": channel})


def _revoke_refresh_tokens(user: User) -> int:
    """Blacklist every outstanding refresh token of `user`. Access tokens stop
    working by themselves: disabled users are refused at every request, and a
    password change invalidates the password-hash claim inside each token."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(
        id__in=BlacklistedToken.objects.filter(token__user=user).values("token_id")
    )
    tokens = list(outstanding)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=t) for t in tokens], ignore_conflicts=True
    )
    return len(tokens)


# --- users ------------------------------------------------------------------

def _clean_roles(roles: Iterable[str]) -> set[str]:
    roles = set(roles)
    unknown = roles - set(Role.values)
    if unknown:
        raise ServiceError(
            f"Unknown role(s): {', '.join(sorted(unknown))}. "
            f"Known roles: {', '.join(Role.values)}.", code="unknown_role")
    return roles


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), code="weak_password",
                           details={"password": exc.messages}) from exc


def _sync_staff_flags(user: User, roles: set[str]) -> None:
    # The Django admin is for RadCase administrators.
    is_admin = Role.ADMIN in roles
    user.is_staff = is_admin
    user.is_superuser = is_admin


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise ForbiddenError("Only administrators may manage users.")


@transaction.atomic
def user_create(
    *, created_by: User | None, username: str, password: str, roles: Iterable[str],
    email: str = "", first_name: str = "", last_name: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Create a user with roles. `created_by` None means a management command."""
    if created_by is not None:
        _require_admin(created_by)
    roles = _clean_roles(roles)
    if User.objects.filter(username__iexact=username).exists():
        raise ConflictError(f"The username '{username}' is already taken.", code="username_taken")
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    _check_password(password, user)
    user.set_password(password)
    _sync_staff_flags(user, roles)
    user.save()
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=r) for r in sorted(roles)])
    audit_record(actor=created_by, action=actions.USER_CREATED, target=user, request=request,
                 details={"username": username, "roles": sorted(roles)})
    return user


@transaction.atomic
def user_update(
    *, updated_by: User, user: User, request: HttpRequest | None = None,
    email: str | None = None, first_name: str | None = None, last_name: str | None = None,
) -> User:
    _require_admin(updated_by)
    changed = {}
    for field, value in (("email", email), ("first_name", first_name), ("last_name", last_name)):
        if value is not None and getattr(user, field) != value:
            setattr(user, field, value)
            changed[field] = value
    if changed:
        user.save(update_fields=list(changed))
        audit_record(actor=updated_by, action=actions.USER_UPDATED, target=user,
                     request=request, details={"fields": sorted(changed)})
    return user


def _other_active_admins(user: User) -> bool:
    return (User.objects.filter(is_active=True, role_assignments__role=Role.ADMIN)
            .exclude(pk=user.pk).exists())


@transaction.atomic
def user_set_roles(
    *, changed_by: User, user: User, roles: Iterable[str], request: HttpRequest | None = None,
) -> User:
    """Replace the user's roles. Refuses to remove the last active administrator."""
    _require_admin(changed_by)
    roles = _clean_roles(roles)
    before = set(user.role_assignments.values_list("role", flat=True))
    if before == roles:
        return user
    if Role.ADMIN in before and Role.ADMIN not in roles and not _other_active_admins(user):
        raise ConflictError("This is the last active administrator; give another user the "
                            "admin role first.", code="last_admin")
    user.role_assignments.exclude(role__in=roles).delete()
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=r) for r in sorted(roles - before)])
    _sync_staff_flags(user, roles)
    user.save(update_fields=["is_staff", "is_superuser"])
    user.__dict__.pop("_role_cache", None)
    audit_record(actor=changed_by, action=actions.USER_ROLES_CHANGED, target=user,
                 request=request, details={"before": sorted(before), "after": sorted(roles)})
    return user


@transaction.atomic
def user_disable(*, disabled_by: User, user: User, request: HttpRequest | None = None) -> User:
    """Disable a user: their sessions and tokens stop working at once."""
    _require_admin(disabled_by)
    if user.pk == disabled_by.pk:
        raise ConflictError("You cannot disable your own account.", code="self_disable")
    if user.is_admin and not _other_active_admins(user):
        raise ConflictError("This is the last active administrator.", code="last_admin")
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoked = _revoke_refresh_tokens(user)
    audit_record(actor=disabled_by, action=actions.USER_DISABLED, target=user, request=request,
                 details={"refresh_tokens_revoked": revoked})
    return user


@transaction.atomic
def user_enable(*, enabled_by: User, user: User, request: HttpRequest | None = None) -> User:
    _require_admin(enabled_by)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=enabled_by, action=actions.USER_ENABLED, target=user, request=request)
    return user


@transaction.atomic
def user_set_password(
    *, changed_by: User | None, user: User, password: str, request: HttpRequest | None = None,
) -> User:
    """An administrator resets a user's password (or a management command,
    with `changed_by` None). Every token and session of the user is revoked."""
    if changed_by is not None and changed_by.pk != user.pk:
        _require_admin(changed_by)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    revoked = _revoke_refresh_tokens(user)
    action = actions.PASSWORD_CHANGED if changed_by and changed_by.pk == user.pk \
        else actions.USER_PASSWORD_RESET
    audit_record(actor=changed_by, action=action, target=user, request=request,
                 details={"refresh_tokens_revoked": revoked})
    return user


@transaction.atomic
def user_change_own_password(
    *, user: User, old_password: str, new_password: str, request: HttpRequest | None = None,
) -> User:
    if not user.check_password(old_password):
        raise ServiceError("The current password is wrong.", code="wrong_password",
                           details={"old_password": ["The current password is wrong."]})
    return user_set_password(changed_by=user, user=user, password=new_password, request=request)
