from django.core.management.base import BaseCommand

from apps.accounts.demo import ensure_demo_users


class Command(BaseCommand):
    help = ("Create demo users (one per role) and demo data. Safe to run again: "
            "existing demo users get new passwords, which are printed.")

    def handle(self, *args, **options):
        passwords = ensure_demo_users()
        self.stdout.write(self.style.SUCCESS("Demo users (sign in at /login/):"))
        for username, password in passwords.items():
            self.stdout.write(f"  {username:<12} {password}")
        from apps.imaging.demo import ensure_demo_cases

        created = ensure_demo_cases()
        if created:
            self.stdout.write(self.style.SUCCESS("Demo cases:"))
            for line in created:
                self.stdout.write(f"  {line}")
