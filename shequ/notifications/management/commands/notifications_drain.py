"""Send pending outbound notifications (and those a crashed runner left half-done). Schedule every minute."""

from django.core.management.base import BaseCommand

from shequ.notifications.services import deliveries_drain


class Command(BaseCommand):
    help = "发送待发的出站消息(短信、群消息),每条只发一次"

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, **options):
        sent = deliveries_drain(limit=options["limit"])
        self.stdout.write(f"sent {sent}")
