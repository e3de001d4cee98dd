"""The image's build step: ``collectstatic`` with the production storage (hashed, compressed
names) must succeed, or ``deploy/Dockerfile`` fails to build and production serves no page."""

from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

STATIC = Path(__file__).resolve().parents[2] / "static" / "live"


def test_collectstatic_with_the_production_storage_collects_every_file(tmp_path):
    # given the storage production settings use (DEBUG off)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    # when the Dockerfile's step runs
    with override_settings(STORAGES=storages, STATIC_ROOT=str(tmp_path)):
        call_command("collectstatic", "--noinput", verbosity=0)

    # then every file is there under its hashed name, hls.js included, with no reference to
    # a file that is not shipped (a vendored source map line broke the build once)
    manifest = (Path(tmp_path) / "staticfiles.json").read_text()
    assert '"live/hls.min.js"' in manifest
    assert '"live/watch.js"' in manifest
    assert "sourceMappingURL" not in (STATIC / "hls.min.js").read_text()
