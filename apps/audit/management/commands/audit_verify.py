from django.core.management.base import BaseCommand, CommandError

from apps.audit.chain import verify_chain
from apps.audit.selectors import audit_chain_rows


class Command(BaseCommand):
    help = "Check the audit trail's hash chain and report the first broken link, if any."

    def handle(self, *args, **options):
        report = verify_chain(audit_chain_rows())
        if report.intact:
            self.stdout.write(self.style.SUCCESS(
                f"Audit chain intact: {report.checked} events verified."))
            return
        raise CommandError(
            f"Audit chain BROKEN at event #{report.broken_at}: {report.reason}. "
            f"{report.checked} events before it verified."
        )
