"""Time spent watching the video (or gifv, or audio) of statuses, per viewer and UTC day."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.feed.models.statuses import Status


class StatusWatch(models.Model):
    """How long ``viewer`` watched the media of ``status`` on the UTC date ``day``.

    Players report what they watched in heartbeats
    (:func:`apps.feed.services.status_watch_record`); ``seconds`` is the running total
    of the day, which only grows. ``counted_until`` is the moment up to which watching
    has been counted: a heartbeat counts only time after it (and at most a small slack
    past the heartbeat's arrival), so heartbeats sent faster than the video plays never
    count more than the time that passed.
    """

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text=_("The UTC date the seconds were watched on."))
    seconds = models.PositiveIntegerField(default=0)
    last_heartbeat_at = models.DateTimeField()
    counted_until = models.DateTimeField(
        help_text=_("Watching is counted up to this moment; later heartbeats count from it.")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["viewer", "status", "day"], name="feed_statuswatch_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.viewer_id} watched {self.status_id} on {self.day}: {self.seconds} s"
