from __future__ import annotations

from django.db.models import QuerySet

from apps.core.errors import ForbiddenError

from .models import User


def user_list(*, user: User) -> QuerySet[User]:
    """All users with their roles, for administrators."""
    if not user.is_admin:
        raise ForbiddenError("Only administrators may list users.")
    return User.objects.prefetch_related("role_assignments").order_by("username")
