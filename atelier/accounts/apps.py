from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "atelier.accounts"
    verbose_name = "People"
