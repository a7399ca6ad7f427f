from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "salespipe.people"
    label = "people"
    verbose_name = "Users and teams"
