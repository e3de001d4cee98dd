"""The real nginx with the RTMP module, configured from ``deploy/nginx-rtmp/``, for benches.

:func:`nginx_running` renders the config into a temporary prefix (free ports) against
:class:`StandIn`, a stand-in for Agora's callbacks (publish answers 302 to the internal
name :data:`NAME`, the rest 204, the playable check 204), starts nginx and yields where
it listens; :func:`push` starts ffmpeg pushing a synthetic source to it. Needs nginx,
libnginx-mod-rtmp and ffmpeg (``make system``), no database.
"""

from __future__ import annotations

import http.server
import os
import pwd
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
NAME = "0123456789abcdef0123456789abcdef"
SECRET = "bench-live-callbacks"  # noqa: S105 (a stand-in, on loopback)


class StandIn(http.server.BaseHTTPRequestHandler):
    published_at: float | None = None

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/internal/live/on_publish?"):
            StandIn.published_at = time.monotonic()
            self.send_response(302)
            self.send_header("Location", NAME)
        else:
            self.send_response(204)
        self.end_headers()

    def do_GET(self):  # noqa: N802
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status(url: str) -> tuple[int, str]:
    """(HTTP status, body) of a GET, (0, "") when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status, response.read().decode()
    except (urllib.error.URLError, OSError) as error:
        return getattr(error, "code", 0), ""


@dataclass(frozen=True)
class Nginx:
    root: Path
    rtmp_port: int
    http_port: int

    @property
    def hls_url(self) -> str:
        """The stream's HLS directory over HTTP (unsigned playback)."""
        return f"http://127.0.0.1:{self.http_port}/live/hls/{NAME}"

    @property
    def hls_dir(self) -> Path:
        return self.root / "hls"


@contextmanager
def nginx_running() -> Iterator[Nginx]:
    """nginx with Agora's RTMP config and the callbacks' stand-in, stopped on leaving."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    StandIn.published_at = None
    with tempfile.TemporaryDirectory(prefix="live-bench-") as directory:
        root = Path(directory)
        rtmp_port, http_port = free_port(), free_port()
        values = {
            "RTMP_PORT": rtmp_port,
            "HTTP_PORT": http_port,
            "BIND": "127.0.0.1",
            "AGORA_UPSTREAM": f"http://127.0.0.1:{server.server_address[1]}",
            "CALLBACK_SECRET": SECRET,
            "PLAYBACK_SECRET": "bench-live-playback",
            "HLS_DIR": root / "hls",
            "RECORD_DIR": root / "recordings",
            "RUN_DIR": root / "run",
            "LOG_DIR": root / "log",
            "NGINX_USER": pwd.getpwuid(os.geteuid()).pw_name,
        }
        subprocess.run(  # noqa: S603
            [sys.executable, str(BASE_DIR / "deploy/nginx-rtmp/render.py"),
             *[f"--set={name}={value}" for name, value in values.items()],
             "--output", str(root / "nginx.conf")],
            check=True,
        )  # fmt: skip
        nginx = subprocess.Popen(  # noqa: S603
            ["/usr/sbin/nginx", "-p", str(root), "-c", str(root / "nginx.conf"),
             "-g", "daemon off; master_process on;"],
        )  # fmt: skip
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", rtmp_port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield Nginx(root=root, rtmp_port=rtmp_port, http_port=http_port)
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
            server.shutdown()


def push(
    nginx: Nginx, seconds: int, size: str = "1280x720", video_filter: str | None = None
) -> subprocess.Popen:
    """ffmpeg pushing ``seconds`` of a synthetic ``size``@30 source in real time (``-re``),
    keyframes every 2 s, H.264 + AAC over RTMP; ``video_filter`` drawn on the picture."""
    filters = ["-vf", video_filter] if video_filter else []
    return subprocess.Popen(  # noqa: S603
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
         "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(seconds), *filters,
         "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-c:a", "aac",
         "-f", "flv", f"rtmp://127.0.0.1:{nginx.rtmp_port}/live/bench-key"],
    )  # fmt: skip
