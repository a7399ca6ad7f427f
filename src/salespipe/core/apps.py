from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "salespipe.core"
    label = "core"
    verbose_name = "Settings"

    def ready(self) -> None:
        from salespipe.core import lookups

        lookups.register()
