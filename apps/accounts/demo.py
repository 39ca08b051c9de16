"""Demo users, one per role (and one with no role), for `manage.py seed_demo`."""

from __future__ import annotations

import secrets
import string

from django.db import transaction

from . import services
from .models import User
from .roles import Role

DEMO_USERS = (
    # username, first name, last name, roles
    ("radiologist", "Rhea", "Radiologist", [Role.RADIOLOGIST]),
    ("referrer", "Rafael", "Referrer", [Role.REFERRING_DOCTOR]),
    ("admin", "Ada", "Admin", [Role.ADMIN]),
)


def generate_password(length: int = 16) -> str:
    """A random password that passes the site's validators."""
    alphabet = string.ascii_letters + string.digits + "-_.!"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in candidate) and any(c.isupper() for c in candidate)
                and any(c.isdigit() for c in candidate)):
            return candidate


@transaction.atomic
def ensure_demo_users() -> dict[str, str]:
    """Create the demo users, or give existing ones a fresh password; return
    username -> password so the caller can print them."""
    passwords: dict[str, str] = {}
    for username, first, last, roles in DEMO_USERS:
        password = generate_password()
        user = User.objects.filter(username=username).first()
        if user is None:
            services.user_create(created_by=None, username=username, password=password,
                                 roles=roles, first_name=first, last_name=last,
                                 email=f"{username}@radcase.example")
        else:
            services.user_set_password(changed_by=None, user=user, password=password)
            if not user.is_active:
                user.is_active = True
                user.save(update_fields=["is_active"])
        passwords[username] = password
    return passwords
