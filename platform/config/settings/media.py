"""Settings of apps.media (every variable is documented in the README)."""

from .environment import VAR_DIR, env

# MEDIA_FFMPEG_BINARY / MEDIA_FFPROBE_BINARY: the ffmpeg and ffprobe executables
# (a name looked up on PATH, or a path). Missing ones make /readyz report media
# processing as unavailable and video/audio uploads answer 503.
MEDIA_FFMPEG_BINARY = env.str("MEDIA_FFMPEG_BINARY", default="ffmpeg")
MEDIA_FFPROBE_BINARY = env.str("MEDIA_FFPROBE_BINARY", default="ffprobe")
# MEDIA_FFPROBE_TIMEOUT: seconds ffprobe may take to inspect an upload before it is refused.
MEDIA_FFPROBE_TIMEOUT = env.float("MEDIA_FFPROBE_TIMEOUT", default=15.0)
# MEDIA_TRANSCODE_TIMEOUT: seconds one transcoding run may take before it is killed (and retried).
MEDIA_TRANSCODE_TIMEOUT = env.float("MEDIA_TRANSCODE_TIMEOUT", default=3600.0)
# MEDIA_X264_PRESET: x264 speed/size trade-off of every rendition (ultrafast .. veryslow).
MEDIA_X264_PRESET = env.str("MEDIA_X264_PRESET", default="veryfast")
# MEDIA_HLS_SEGMENT_SECONDS: target length of an HLS segment.
MEDIA_HLS_SEGMENT_SECONDS = env.int("MEDIA_HLS_SEGMENT_SECONDS", default=4)
# MEDIA_WORK_DIR: scratch space for validation and transcoding (emptied after each run).
MEDIA_WORK_DIR = env.path("MEDIA_WORK_DIR", default=str(VAR_DIR / "media-work"))
# MEDIA_UPLOAD_DIR: where chunks of resumable uploads collect when storage is local.
MEDIA_UPLOAD_DIR = env.path("MEDIA_UPLOAD_DIR", default=str(VAR_DIR / "uploads"))
# MEDIA_UPLOAD_EXPIRY_HOURS: an unfinished resumable upload is removed after this long.
MEDIA_UPLOAD_EXPIRY_HOURS = env.int("MEDIA_UPLOAD_EXPIRY_HOURS", default=24)
# MEDIA_UPLOAD_PART_SIZE: chunk size (bytes) of resumable uploads; S3 needs at least 5 MiB.
MEDIA_UPLOAD_PART_SIZE = env.int("MEDIA_UPLOAD_PART_SIZE", default=8 * 1024 * 1024)
# MEDIA_UNATTACHED_MAX_HOURS: media no status attached is removed after this long.
MEDIA_UNATTACHED_MAX_HOURS = env.int("MEDIA_UNATTACHED_MAX_HOURS", default=24)
# MEDIA_SYNC_IMAGE_BYTES: images up to this size are processed within the upload request (200);
# larger ones in the background (202).
MEDIA_SYNC_IMAGE_BYTES = env.int("MEDIA_SYNC_IMAGE_BYTES", default=8 * 1024 * 1024)
# MEDIA_MAX_IMAGE_PIXELS: images with more pixels are refused as decompression bombs.
MEDIA_MAX_IMAGE_PIXELS = env.int("MEDIA_MAX_IMAGE_PIXELS", default=8192 * 8192)
# MEDIA_MAX_VIDEO_DIMENSION: the longest side a video may have (pixels).
MEDIA_MAX_VIDEO_DIMENSION = env.int("MEDIA_MAX_VIDEO_DIMENSION", default=4096)
# MEDIA_PROCESS_MAX_RETRIES: how often a failed processing run is retried (with backoff).
MEDIA_PROCESS_MAX_RETRIES = env.int("MEDIA_PROCESS_MAX_RETRIES", default=3)
# AWS_QUERYSTRING_AUTH: sign S3 media URLs. Off by default: HLS playlists name their
# segments by relative URL, which a signed playlist URL cannot pass on, so media buckets
# are read publicly (by unguessable names) or through AWS_S3_CUSTOM_DOMAIN's CDN.
AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=False)
