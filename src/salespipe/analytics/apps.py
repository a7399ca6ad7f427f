from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "salespipe.analytics"
    label = "analytics"
    verbose_name = "Reports and suggestions"
