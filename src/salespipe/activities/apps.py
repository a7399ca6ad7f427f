from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "salespipe.activities"
    label = "activities"
    verbose_name = "Activities"
