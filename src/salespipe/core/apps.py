from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "salespipe.core"
    label = "core"
    verbose_name = "Settings"
