from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "salespipe.directory"
    label = "directory"
    verbose_name = "Organizations and people"
