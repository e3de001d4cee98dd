#!/usr/bin/env python3
"""Render deploy/nginx-rtmp/nginx.conf.template for one environment.

    python3 deploy/nginx-rtmp/render.py > /etc/nginx/agora-live.conf    # values from the environment
    python3 deploy/nginx-rtmp/render.py --set RTMP_PORT=19350 --output var/nginx/nginx.conf

Every ``{{NAME}}`` in the template is filled from ``--set NAME=value``, then the
environment (``AGORA_LIVE_<NAME>``, or ``LIVE_CALLBACK_SECRET``/``LIVE_PLAYBACK_SECRET``
for the two secrets, the same variables Agora reads), then the defaults below. A name
without a value, or a value nginx would misread, stops the render with a message:
nothing half-rendered is written. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx.conf.template"
PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
# Secrets go into a URL's query and into secure_link_md5's string: keep them plain.
SECRET_CHARACTERS = re.compile(r"^[A-Za-z0-9._~-]{16,}$")
SECRETS = {"CALLBACK_SECRET": "LIVE_CALLBACK_SECRET", "PLAYBACK_SECRET": "LIVE_PLAYBACK_SECRET"}
# No whitespace, quotes, braces, semicolons or $ in any value: one nginx token each.
SAFE_VALUE = re.compile(r"^[^\s\"';{}$]+$")


def defaults() -> dict[str, str]:
    var = Path(os.environ.get("AGORA_LIVE_VAR_DIR", "/var/lib/agora-live"))
    return {
        "RTMP_MODULE": "/usr/lib/nginx/modules/ngx_rtmp_module.so",
        "RTMP_PORT": "1935",
        "HTTP_PORT": "8080",
        "BIND": "0.0.0.0",  # noqa: S104 (encoders and viewers connect from anywhere)
        "AGORA_UPSTREAM": "http://127.0.0.1:8000",
        "HLS_DIR": str(var / "hls"),
        # Agora's worker reads the recordings from its LIVE_RECORDINGS_DIR: the same place.
        "RECORD_DIR": os.environ.get("LIVE_RECORDINGS_DIR") or str(var / "recordings"),
        "RUN_DIR": str(var / "run"),
        "LOG_DIR": str(var / "log"),
        "LOG_LEVEL": "warn",
        "NGINX_USER": "www-data",
        "UPDATE_INTERVAL": "10s",
        "PLAYABLE_CACHE": "5s",
        "PYTHON": shutil.which("python3") or "/usr/bin/python3",
        "LADDER": str(HERE / "ladder.py"),
        "FFMPEG": shutil.which("ffmpeg") or "/usr/bin/ffmpeg",
        "FFPROBE": shutil.which("ffprobe") or "/usr/bin/ffprobe",
    }


def values_for(overrides: dict[str, str], environ: dict[str, str]) -> dict[str, str]:
    values = defaults()
    for name in PLACEHOLDER.findall(TEMPLATE.read_text()):
        environment_name = SECRETS.get(name, f"AGORA_LIVE_{name}")
        if environ.get(environment_name):
            values[name] = environ[environment_name]
    values.update(overrides)
    values.setdefault("RTMP_LISTEN", f"{values['BIND']}:{values['RTMP_PORT']}")
    values.setdefault("HTTP_LISTEN", f"{values['BIND']}:{values['HTTP_PORT']}")
    return values


def render(values: dict[str, str]) -> str:
    """The template with every placeholder filled; raises ValueError naming what is wrong."""
    template = TEMPLATE.read_text()
    needed = sorted(set(PLACEHOLDER.findall(template)))
    missing = [name for name in needed if not values.get(name)]
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    for name in needed:
        if name in SECRETS and not SECRET_CHARACTERS.match(values[name]):
            raise ValueError(
                f"{SECRETS[name]} must be at least 16 of A-Z a-z 0-9 . _ ~ - "
                "(it goes into a URL and an nginx string)"
            )
        if not SAFE_VALUE.match(values[name]):
            raise ValueError(f"{name}={values[name]!r}: no spaces, quotes, ; {{ }} or $")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--output", help="write here (and create the directories it names)")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        name, separator, value = item.partition("=")
        if not separator:
            parser.error(f"--set {item}: expected NAME=VALUE")
        overrides[name] = value
    values = values_for(overrides, dict(os.environ))
    try:
        text = render(values)
    except ValueError as error:
        sys.stderr.write(f"render: {error}\n")
        return 2
    if args.output:
        for name in ("HLS_DIR", "RECORD_DIR", "RUN_DIR", "LOG_DIR"):
            Path(values[name]).mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
