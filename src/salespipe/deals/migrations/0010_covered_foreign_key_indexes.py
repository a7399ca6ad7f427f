"""Drop the single-column indexes of foreign keys that a composite index already starts with.

Each insert and update of a deal kept 14 indexes up to date; these five answered no query the composite
ones do not (`deal_owner_status_close`, `deal_pipeline_status`, `deal_stage_status_value`,
`stagechange_deal_time`, `stagechange_stage_time`). Only the model state changes through AlterField: on
SQLite that would copy the million-row tables, so the indexes are found and dropped by hand.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COVERED = [
    ("Deal", "owner"),
    ("Deal", "pipeline"),
    ("Deal", "stage"),
    ("StageChange", "deal"),
    ("StageChange", "to_stage"),
]


def _single_column_indexes(schema_editor, model, column):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [
        name
        for name, found in constraints.items()
        if found["index"]
        and not found["unique"]
        and not found["primary_key"]
        and found["columns"] == [column]
    ]


def drop_covered(apps, schema_editor):
    for model_name, field_name in COVERED:
        model = apps.get_model("deals", model_name)
        column = model._meta.get_field(field_name).column
        for name in _single_column_indexes(schema_editor, model, column):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_covered(apps, schema_editor):
    for model_name, field_name in COVERED:
        model = apps.get_model("deals", model_name)
        field = model._meta.get_field(field_name)
        if not _single_column_indexes(schema_editor, model, field.column):
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0009_covering_owner_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="deal",
                    name="owner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deals",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="deal",
                    name="pipeline",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deals",
                        to="deals.pipeline",
                    ),
                ),
                migrations.AlterField(
                    model_name="deal",
                    name="stage",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deals",
                        to="deals.stage",
                    ),
                ),
                migrations.AlterField(
                    model_name="stagechange",
                    name="deal",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="stage_changes",
                        to="deals.deal",
                    ),
                ),
                migrations.AlterField(
                    model_name="stagechange",
                    name="to_stage",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="deals.stage",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_covered, create_covered)],
        ),
    ]
