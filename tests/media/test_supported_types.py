"""The instance's ``supported_mime_types`` name exactly the kinds of file an upload may be."""

from __future__ import annotations

import pytest

from apps.media import validation
from core.media_types import canonical_type
from tests.api_client import APIClient

pytestmark = pytest.mark.django_db

ACCEPTED = {**validation.IMAGE_TYPES, **validation.VIDEO_TYPES, **validation.AUDIO_TYPES}


def _supported(path: str) -> list[str]:
    response = APIClient().get(path)
    assert response.status_code == 200
    return response.json()["configuration"]["media_attachments"]["supported_mime_types"]


@pytest.mark.parametrize("path", ["/api/v1/instance", "/api/v2/instance"], ids=["v1", "v2"])
def test_every_type_an_upload_may_be_is_listed_audio_included(path):
    supported = _supported(path)

    assert set(ACCEPTED) <= set(supported)
    for audio in ("audio/mpeg", "audio/mp4", "audio/ogg", "audio/flac", "audio/wav"):
        assert audio in supported
    assert len(supported) == len(set(supported))


@pytest.mark.parametrize("path", ["/api/v1/instance", "/api/v2/instance"], ids=["v1", "v2"])
def test_nothing_is_listed_that_an_upload_may_not_be(path):
    supported = _supported(path)

    assert {canonical_type(mime) for mime in supported} == set(ACCEPTED)


def test_an_mp3_the_list_names_is_accepted(alice, samples):
    response = alice.upload(samples["audio"])

    assert response.status_code == 202, response.json()
    assert "audio/mpeg" in _supported("/api/v2/instance")
