from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "atelier.catalog"
    verbose_name = "Service catalog"
