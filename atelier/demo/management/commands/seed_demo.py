from django.core.management.base import BaseCommand

from atelier.demo.seed import seed


class Command(BaseCommand):
    help = "Load the demo people, services and orders (safe to run again)."

    def handle(self, *args, **options):
        created = seed()
        if created:
            self.stdout.write(f"Demo: created {len(created)} orders.")
        else:
            self.stdout.write("Demo: already loaded.")
