"""A live stream: what an encoder pushes to nginx-rtmp and viewers play as HLS."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import PublicModel

TITLE_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 500


class Stream(PublicModel):
    """One broadcast of an account, from creation (``idle``) to ``live`` to ``ended``.

    The stream key is never stored: ``key_hash`` is its SHA-256 (hex), so a leaked
    table cannot push. ``internal_name`` is the name nginx-rtmp publishes and serves
    the HLS playlists under (on_publish renames the stream to it), so the key never
    appears in a playback path.
    """

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public")
        UNLISTED = "unlisted", _("unlisted")
        FOLLOWERS = "followers", _("followers")
        SUBSCRIBERS = "subscribers", _("subscribers")

    class State(models.TextChoices):
        IDLE = "idle", _("idle")
        LIVE = "live", _("live")
        ENDED = "ended", _("ended")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_streams"
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.IDLE)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    publish_key_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        db_index=True,
        help_text=_("The hash of the key the encoder published with (nginx names it by it)."),
    )
    internal_name = models.CharField(max_length=64, unique=True, editable=False)
    chat_settings = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(
        max_length=150, blank=True, help_text=_("Who ended it: the owner, staff, or the encoder.")
    )
    end_reason = models.CharField(max_length=500, blank=True)
    peak_viewers = models.PositiveIntegerField(default=0)
    unique_viewers = models.PositiveIntegerField(default=0)
    replay = models.OneToOneField(
        "media.MediaAttachment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The recording, through the media pipeline, once the stream ended."),
    )
    replay_hidden = models.BooleanField(
        default=False,
        help_text=_("Moderation hid the replay: only the streamer still sees it."),
    )
    replay_failure = models.CharField(
        max_length=500, blank=True, help_text=_("Why the recording could not become a replay.")
    )

    class Meta:
        permissions = [("kill_stream", "Can end a stream and rotate its key (kill switch)")]
        indexes = [models.Index(fields=["state", "account"], name="live_stream_state_account")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["idle", "live", "ended"]),
                name="live_stream_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    visibility__in=["public", "unlisted", "followers", "subscribers"]
                ),
                name="live_stream_visibility_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"
