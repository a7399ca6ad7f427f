from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _dropped_indexes_rebuild(**kwargs: Any) -> None:
    from salespipe.imports.index_deferral import dropped_indexes_rebuild

    dropped_indexes_rebuild()


class ImportsConfig(AppConfig):
    name = "salespipe.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        # `salespipe migrate` (and so `make run`) builds what an import killed mid-way left dropped.
        post_migrate.connect(_dropped_indexes_rebuild, sender=self)
