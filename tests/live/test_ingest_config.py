"""deploy/nginx-rtmp: the renderer refuses what nginx would misread; the ladder never
goes above the source. (The rendered config runs for real in
tests/integration/test_live_ingest.py.)"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nginx-rtmp"
GOOD = {
    "CALLBACK_SECRET": "callback-secret-0123",
    "PLAYBACK_SECRET": "playback-secret-0123",
}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"nginx_rtmp_{name}", DEPLOY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def render():
    return _load("render")


@pytest.fixture(scope="module")
def ladder():
    return _load("ladder")


def test_a_rendered_config_has_every_placeholder_filled(render):
    text = render.render(render.values_for(GOOD, {}))

    assert "{{" not in text
    assert (
        "on_publish http://127.0.0.1:8000/internal/live/on_publish?secret=callback-secret-0123;"
        in text
    )
    assert 'secure_link_md5 "$live_expires/$live_stream playback-secret-0123";' in text
    assert "notify_update_timeout 10s;" in text
    assert "listen 0.0.0.0:1935;" in text


def test_the_environment_fills_the_secrets_and_settings(render):
    environ = {
        "LIVE_CALLBACK_SECRET": "from-the-environment-1",
        "LIVE_PLAYBACK_SECRET": "from-the-environment-2",
        "AGORA_LIVE_RTMP_PORT": "19350",
        "AGORA_LIVE_UPDATE_INTERVAL": "5s",
    }

    text = render.render(render.values_for({}, environ))

    assert "secret=from-the-environment-1" in text
    assert "from-the-environment-2" in text
    assert "listen 0.0.0.0:19350;" in text
    assert "notify_update_timeout 5s;" in text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"CALLBACK_SECRET": ""}, "no value for CALLBACK_SECRET", id="no-secret"),
        pytest.param({"PLAYBACK_SECRET": "short"}, "LIVE_PLAYBACK_SECRET must be", id="short"),
        pytest.param(
            {"CALLBACK_SECRET": "has$variable-0123456"}, "LIVE_CALLBACK_SECRET must be", id="dollar"
        ),
        pytest.param({"HLS_DIR": "/srv/live hls"}, "HLS_DIR=", id="space"),
        pytest.param({"AGORA_UPSTREAM": "http://x;evil"}, "AGORA_UPSTREAM=", id="semicolon"),
    ],
)
def test_bad_values_stop_the_render_with_a_message(render, overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        render.render(render.values_for({**GOOD, **overrides}, {}))


def test_the_command_refuses_and_writes_nothing(render, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LIVE_CALLBACK_SECRET", GOOD["CALLBACK_SECRET"])
    output = tmp_path / "nginx.conf"

    status = render.main(["--set", "PLAYBACK_SECRET=short", "--output", str(output)])

    assert status == 2
    assert not output.exists()
    assert "LIVE_PLAYBACK_SECRET must be" in capsys.readouterr().err


def test_the_command_writes_the_config_and_its_directories(render, tmp_path, monkeypatch):
    monkeypatch.setenv("LIVE_CALLBACK_SECRET", GOOD["CALLBACK_SECRET"])
    monkeypatch.setenv("LIVE_PLAYBACK_SECRET", GOOD["PLAYBACK_SECRET"])
    monkeypatch.setenv("AGORA_LIVE_VAR_DIR", str(tmp_path / "var"))
    output = tmp_path / "nginx.conf"

    assert render.main(["--output", str(output)]) == 0

    assert f"record_path {tmp_path}/var/recordings;" in output.read_text()
    assert sorted(path.name for path in (tmp_path / "var").iterdir()) == [
        "hls",
        "log",
        "recordings",
        "run",
    ]


@pytest.mark.parametrize(
    ("height", "rungs"),
    [
        pytest.param(1080, [720, 480, 360], id="1080p"),
        pytest.param(720, [480, 360], id="720p"),
        pytest.param(540, [480, 360], id="540p"),
        pytest.param(360, [], id="360p"),
        pytest.param(0, [], id="unknown"),
    ],
)
def test_the_ladder_never_goes_above_the_source(ladder, height, rungs):
    found = {"height": height, "audio": True, "bandwidth": 6_000_000, "codecs": ""}

    command = ladder.command_for("rtmp://in", "/out", found, "ffmpeg")

    assert [rung[0] for rung in ladder.rungs_for(height)] == rungs
    stream_map = command[command.index("-var_stream_map") + 1].split()
    assert stream_map == [
        "v:0,a:0,name:source",
        *[f"v:{i},a:{i},name:{h}p" for i, h in enumerate(rungs, 1)],
    ]
    assert command[command.index("-hls_time") + 1] == "2"


def test_a_source_without_audio_maps_none(ladder):
    command = ladder.command_for(
        "rtmp://in", "/out", {"height": 720, "audio": False, "bandwidth": 1, "codecs": ""}, "ffmpeg"
    )

    assert "0:a:0" not in command
    assert (
        command[command.index("-var_stream_map") + 1]
        == "v:0,name:source v:1,name:480p v:2,name:360p"
    )


@pytest.mark.parametrize(
    ("video", "audio", "codecs"),
    [
        (
            {"codec_name": "h264", "profile": "High", "level": 31},
            {"codec_name": "aac"},
            "avc1.64001F,mp4a.40.2",
        ),
        ({"codec_name": "h264", "profile": "Main", "level": 40}, None, "avc1.4D0028"),
        (
            {"codec_name": "h264", "profile": "Constrained Baseline", "level": 30},
            None,
            "avc1.42E01E",
        ),
        ({"codec_name": "hevc", "profile": "Main", "level": 93}, None, ""),
    ],
)
def test_the_source_codecs_are_named_as_rfc_6381_says(ladder, video, audio, codecs):
    assert ladder.source_codecs(video, audio) == codecs


def test_codecs_are_added_to_the_source_rung_only(ladder):
    master = (
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=1280x720\nsource/index.m3u8\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=2,RESOLUTION=854x480,CODECS="avc1.4d401f"\n480p/index.m3u8\n'
    )

    completed = ladder.add_source_codecs(master, "avc1.64001F")

    assert 'RESOLUTION=1280x720,CODECS="avc1.64001F"\nsource/' in completed
    assert completed.count("CODECS=") == 2


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        pytest.param({"LIVE_PLAYBACK_SECRET": "short"}, "LIVE_PLAYBACK_SECRET must be", id="short"),
        pytest.param(
            {"LIVE_PLAYBACK_SECRET": "has spaces in it, sixteen+"},
            "LIVE_PLAYBACK_SECRET must be",
            id="spaces",
        ),
        pytest.param({"LIVE_PLAYBACK_TTL_SECONDS": "0"}, "LIVE_PLAYBACK_TTL_SECONDS", id="ttl"),
    ],
)
def test_agora_refuses_to_start_with_a_playback_setting_nginx_cannot_use(environment, message):
    import os
    import subprocess

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": f"{root}/platform:{root}", "DEBUG": "true", **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode != 0
    assert message in result.stderr
