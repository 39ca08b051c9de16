from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from .roles import Role


class RadCaseUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `createsuperuser` makes an administrator in RadCase's sense too.
        user = super().create_superuser(username, email, password, **extra_fields)
        RoleAssignment.objects.get_or_create(user=user, role=Role.ADMIN)
        return user


class User(AbstractUser):
    """A RadCase user. Roles live in `RoleAssignment`; `is_staff` and
    `is_superuser` are kept in step with the admin role by the services."""

    objects = RadCaseUserManager()

    class Meta:
        ordering = ["username"]

    @property
    def role_set(self) -> frozenset[str]:
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = frozenset(self.role_assignments.values_list("role", flat=True))
            self._role_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        """True when the user is active and holds any of `roles`."""
        return self.is_active and bool(self.role_set.intersection(roles))

    @property
    def is_radiologist(self) -> bool:
        return self.has_role(Role.RADIOLOGIST)

    @property
    def is_referring_doctor(self) -> bool:
        return self.has_role(Role.REFERRING_DOCTOR)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="unique_role_per_user"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="role_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"
