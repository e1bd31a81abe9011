from django.db import models

from atelier.core import clock


class BaseModel(models.Model):
    """Timestamps every table carries. created_at follows the domain clock so that the demo can
    place history in the past."""

    created_at = models.DateTimeField(default=clock.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyModel(BaseModel):
    """A record that is written once and never edited or deleted through the ORM's instance
    methods (the few facts filled in later, such as delivered_at, are set by conditional
    queryset updates in the actions that own them)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(f"{self._meta.verbose_name} records are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{self._meta.verbose_name} records are never deleted")
