import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Apart from the data step before it: PostgreSQL alters no table with pending trigger
    events in the same transaction."""

    dependencies = [("catalog", "0003_policy")]

    operations = [
        migrations.AlterField(
            model_name="service",
            name="policy",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="services",
                to="catalog.policy",
            ),
        ),
        migrations.RemoveField(
            model_name="service",
            name="included_revisions",
        ),
    ]
