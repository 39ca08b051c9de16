import re

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """Requires at least three of: lower case, upper case, digit, symbol.

    Complements Django's length, similarity, common-password and numeric
    validators (all enabled in settings)."""

    classes = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")

    def validate(self, password: str, user=None) -> None:
        present = sum(1 for pattern in self.classes if re.search(pattern, password))
        if present < 3:
            raise ValidationError(
                "The password must mix at least three of: lower-case letters, "
                "upper-case letters, digits and symbols.",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return ("Your password must mix at least three of: lower-case letters, "
                "upper-case letters, digits and symbols.")
