"""The shared cache lives in the database unless REDIS_URL is set (settings.CACHES): create its
table with the schema, so that a fresh `migrate` is all a deployment or a test run needs."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_api_tokens")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
