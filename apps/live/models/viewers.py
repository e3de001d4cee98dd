"""What viewers did with a stream: watch time per viewer, and the status that announced it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.live.models.streams import Stream


class LiveWatch(models.Model):
    """How long signed-in ``viewer`` watched ``stream`` on the UTC date ``day``.

    Players send heartbeats (:func:`apps.live.services.watch.live_watch_record`);
    ``seconds`` is the running total of the day, which only grows. ``counted_until`` is
    the moment up to which watching has been counted: a heartbeat counts only the time
    after it, so two tabs (or a replayed request) never count one interval twice and the
    total never exceeds the wall time that passed.
    """

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="watches")
    day = models.DateField(help_text=_("The UTC date the seconds were watched on."))
    seconds = models.PositiveIntegerField(default=0)
    counted_until = models.DateTimeField(
        help_text=_("Watching is counted up to this moment; later heartbeats count from it.")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["viewer", "stream", "day"], name="live_livewatch_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.viewer_id} watched stream {self.stream_id} on {self.day}: {self.seconds} s"


class LiveAnnouncement(models.Model):
    """The status that told followers ``stream`` went live: one per stream, ever.

    Its row makes announcing idempotent (``LiveStarted`` may be delivered twice).
    ``status`` is null when the status was deleted since, or when it could not be
    posted (``skipped`` says why): either way it is not posted again.
    """

    stream = models.OneToOneField(Stream, on_delete=models.CASCADE, related_name="announcement")
    status = models.ForeignKey(
        "feed.Status", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    skipped = models.CharField(
        max_length=500, blank=True, help_text=_("Why no status was posted, if none was.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"announcement of stream {self.stream_id}"
