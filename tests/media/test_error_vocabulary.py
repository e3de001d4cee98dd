"""Media's services speak the platform's errors (core.errors), never DRF's.

The same services back the API, the admin and the workers, so they must not
depend on the HTTP interface: one exception handler maps core.errors to
Mastodon's shape (the upload protocol's answers are pinned in test_uploads.py).
"""

import ast
from pathlib import Path

import pytest

from apps.media import services, uploads
from apps.media.models import MediaAttachment
from core import errors

ROOT = Path(__file__).resolve().parents[2]
INTERFACE_FREE = [
    "apps/media/services.py",
    "apps/media/uploads.py",
    "apps/media/admin.py",
    "apps/media/selectors.py",
    "apps/media/processing.py",
    "apps/media/validation.py",
    "apps/accounts/otp.py",
]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", INTERFACE_FREE)
def test_module_imports_nothing_from_drf_or_its_errors(module):
    imported = _imported_modules(ROOT / module)

    assert not {name for name in imported if name.split(".")[0] == "rest_framework"}
    assert "core.exceptions" not in imported


def test_retrying_ready_media_is_unprocessable(alice, samples):
    media = MediaAttachment.objects.get(pk=alice.upload(samples["jpeg"]).json()["id"])

    with pytest.raises(errors.Unprocessable) as refused:
        services.media_retry(media=media)

    assert refused.value.message == "Only media whose processing failed can be retried."


def test_an_offset_mismatch_is_a_conflict_named_offset_mismatch():
    mismatch = uploads.OffsetMismatch("The chunk starts at 10 but the upload is at 0.")

    assert isinstance(mismatch, errors.Conflict)
    assert mismatch.code == "offset_mismatch"
    assert mismatch.status == 409


def test_a_bad_content_range_is_range_not_satisfiable():
    with pytest.raises(errors.RangeNotSatisfiable):
        uploads.parse_content_range("bytes 5-1/100", size=100)
