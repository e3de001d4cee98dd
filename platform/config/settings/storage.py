"""Media storage: local files under var/media, or S3-compatible via django-storages."""

from .base import DEBUG
from .environment import VAR_DIR, env

MEDIA_URL = env.str("MEDIA_URL", default="/media/")
# MEDIA_ROOT: where local media files live when S3 is not configured.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# AWS_STORAGE_BUCKET_NAME: set it to store media in an S3-compatible bucket.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
# AWS_S3_ENDPOINT_URL: the S3 endpoint for non-AWS servers (MinIO, Ceph, moto).
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
# AWS_S3_REGION_NAME: the bucket's region.
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: credentials (or the instance role when unset).
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
# AWS_S3_CUSTOM_DOMAIN: a CDN host serving the bucket.
AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
AWS_S3_FILE_OVERWRITE = False
AWS_DEFAULT_ACL = None

_media_backend: dict[str, object]
if AWS_STORAGE_BUCKET_NAME:
    _media_backend = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _media_backend = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }

STORAGES = {
    "default": _media_backend,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
