from rest_framework.permissions import BasePermission

from apps.accounts.roles import Role


class HasRole(BasePermission):
    """Allows authenticated users holding any of `roles` (set by subclasses
    or built with `HasRole.any_of(...)`)."""

    roles: tuple[str, ...] = ()
    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(*self.roles))

    @classmethod
    def any_of(cls, *roles: str) -> type["HasRole"]:
        names = "Or".join(r.title().replace("_", "") for r in roles)
        return type(f"Has{names}Role", (cls,), {"roles": roles})


IsAdmin = HasRole.any_of(Role.ADMIN)
IsRadiologist = HasRole.any_of(Role.RADIOLOGIST)
IsReferringDoctor = HasRole.any_of(Role.REFERRING_DOCTOR)
