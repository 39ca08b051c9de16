from django.db import models


class Role(models.TextChoices):
    """What a user may do in RadCase. A user may hold several roles."""

    RADIOLOGIST = "radiologist", "Radiologist"
    REFERRING_DOCTOR = "referring_doctor", "Referring doctor"
    ADMIN = "admin", "Administrator"
