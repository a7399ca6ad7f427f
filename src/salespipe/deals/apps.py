from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "salespipe.deals"
    label = "deals"
    verbose_name = "Pipelines and deals"
