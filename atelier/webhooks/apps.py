from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "atelier.webhooks"

    def ready(self) -> None:
        # The engine knows nothing of webhooks: they are derived from its event log, in the
        # transaction that records each event.
        from atelier.orders import events

        from .outbox import emit_for_event

        events.listen(emit_for_event)
