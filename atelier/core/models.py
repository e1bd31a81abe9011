from django.db import models

from atelier.core import clock


class BaseModel(models.Model):
    """Timestamps every table carries. created_at follows the domain clock so that the demo can
    place history in the past."""

    created_at = models.DateTimeField(default=clock.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
