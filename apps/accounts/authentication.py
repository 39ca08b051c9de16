from rest_framework_simplejwt.authentication import JWTAuthentication


class RadCaseJWTAuthentication(JWTAuthentication):
    """simplejwt's JWT authentication, loading the user's roles in the same
    query so that role checks don't cost one query each."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        user._role_cache = frozenset(user.role_assignments.values_list("role", flat=True))
        return user
