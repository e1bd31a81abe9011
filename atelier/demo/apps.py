from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "atelier.demo"
    verbose_name = "Demo data"
