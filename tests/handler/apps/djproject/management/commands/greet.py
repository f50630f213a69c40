from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a greeting (used by the handler's manage tests)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--shout", action="store_true")

    def handle(self, *args, **options):
        text = "hello %s" % options["name"]
        self.stdout.write(text.upper() if options["shout"] else text)
