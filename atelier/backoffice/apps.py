from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "atelier.backoffice"
    verbose_name = "Agent console"
