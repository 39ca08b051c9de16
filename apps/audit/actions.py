"""The vocabulary of audited actions, so that queries can rely on it."""
# ruff: noqa: S105  (action names, not passwords)

LOGIN = "auth.login"
LOGIN_FAILED = "auth.login_failed"
LOGIN_THROTTLED = "auth.login_throttled"
LOGOUT = "auth.logout"
TOKEN_REFRESHED = "auth.token_refreshed"
PASSWORD_CHANGED = "auth.password_changed"
ACCESS_REFUSED = "access.refused"

USER_CREATED = "user.created"
USER_UPDATED = "user.updated"
USER_ROLES_CHANGED = "user.roles_changed"
USER_DISABLED = "user.disabled"
USER_ENABLED = "user.enabled"
USER_PASSWORD_RESET = "user.password_reset"

AUDIT_VIEWED = "audit.viewed"
AUDIT_CHAIN_VERIFIED = "audit.chain_verified"
