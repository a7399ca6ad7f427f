from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NotificationsConfig(AppConfig):
    name = "salespipe.notifications"
    label = "notifications"
    verbose_name = "Notifications and background work"

    def ready(self) -> None:
        # Each app's `tasks` module defines its tasks and registers its periodic jobs with the scheduler.
        autodiscover_modules("tasks")
