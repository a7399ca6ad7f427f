from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "salespipe.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
