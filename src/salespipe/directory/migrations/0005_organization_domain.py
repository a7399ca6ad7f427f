from django.db import migrations, models

from salespipe.core.text import domain_of


def fill_domains(apps, schema_editor):
    """Every organization with a website gets its domain, 2,000 at a time."""
    Organization = apps.get_model("directory", "Organization")
    batch = []
    for organization in Organization.objects.exclude(website="").only("pk", "website").iterator(2000):
        organization.domain = domain_of(organization.website)
        batch.append(organization)
        if len(batch) == 2000:
            Organization.objects.bulk_update(batch, ["domain"])
            batch = []
    Organization.objects.bulk_update(batch, ["domain"])


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_organization_size"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="domain",
            field=models.CharField(blank=True, db_index=True, default="", editable=False, max_length=200),
        ),
        migrations.RunPython(fill_domains, migrations.RunPython.noop),
    ]
