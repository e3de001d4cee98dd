"""Live ingest: glass-to-playlist latency and the CPU of the HLS ladder.

Starts the real nginx with the RTMP module, configured from ``deploy/nginx-rtmp/``
(rendered into a temporary prefix, free ports), against a stand-in for Agora's
callbacks (publish answers 302 to an internal name, the rest 204, the playable check
204), pushes a synthetic source with ffmpeg (``testsrc2``, 720p30 by default, keyframes
every 2 s) and prints, from the same run:

- push start -> Agora's on_publish, -> the master playlist served over HTTP,
  -> a segment listed in every variant playlist (the "glass-to-playlist" delay);
- the ladder's CPU (the probe and the ffmpeg transcoding every rung below the source),
  in cores, over the steady part of the push, and the push encoder's for comparison.

Standalone: needs nginx, libnginx-mod-rtmp and ffmpeg (``make system``), no database.

    .venv/bin/python bench/live_ingest.py [--seconds 30] [--size 1280x720] [--runs 3]
"""

from __future__ import annotations

import argparse
import http.server
import os
import pwd
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
NAME = "0123456789abcdef0123456789abcdef"
SECRET = "bench-live-callbacks"  # noqa: S105 (a stand-in, on loopback)
TICKS = os.sysconf("SC_CLK_TCK")


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status, response.read().decode()
    except (urllib.error.URLError, OSError) as error:
        return getattr(error, "code", 0), ""


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _pids_with(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def run_once(seconds: int, size: str) -> dict[str, float]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    StandIn.published_at = None
    with tempfile.TemporaryDirectory(prefix="live-bench-") as directory:
        root = Path(directory)
        rtmp_port, http_port = _free_port(), _free_port()
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
            started = time.monotonic()
            push = subprocess.Popen(  # noqa: S603
                ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                 "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30",
                 "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(seconds),
                 "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-c:a", "aac",
                 "-f", "flv", f"rtmp://127.0.0.1:{rtmp_port}/live/bench-key"],
            )  # fmt: skip
            base = f"http://127.0.0.1:{http_port}/live/hls/{NAME}"
            master_at = listed_at = None
            variants: list[str] = []
            while time.monotonic() - started < seconds and (listed_at is None):
                if master_at is None:
                    status, text = _status(f"{base}/index.m3u8")
                    if status == 200:
                        master_at = time.monotonic()
                        variants = re.findall(r"^(\w+)/index\.m3u8$", text, re.MULTILINE)
                elif all("#EXTINF" in _status(f"{base}/{v}/index.m3u8")[1] for v in variants):
                    listed_at = time.monotonic()
                time.sleep(0.02)
            # Steady state: from the first listed segment to shortly before the push ends.
            window = max(2.0, seconds - (time.monotonic() - started) - 2)
            ladder, encoder = _pids_with(str(root / "hls")), [push.pid]
            ladder_before, encoder_before = _cpu_seconds(ladder), _cpu_seconds(encoder)
            time.sleep(window)
            ladder_cpu = (_cpu_seconds(ladder) - ladder_before) / window
            encoder_cpu = (_cpu_seconds(encoder) - encoder_before) / window
            push.wait(timeout=seconds + 10)
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
            server.shutdown()
    if master_at is None or listed_at is None or StandIn.published_at is None:
        raise SystemExit("the ladder did not come up: see nginx's log")
    return {
        "on_publish": StandIn.published_at - started,
        "master": master_at - started,
        "listed": listed_at - started,
        "variants": len(variants),
        "ladder_cores": ladder_cpu,
        "encoder_cores": encoder_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of each push")
    parser.add_argument("--size", default="1280x720", help="the source's WxH (30 fps)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = [run_once(args.seconds, args.size) for _ in range(args.runs)]

    def line(label: str, key: str, unit: str) -> str:
        values = [result[key] for result in results]
        return (
            f"{label:<46} median {statistics.median(values):6.2f} {unit}"
            f"  (min {min(values):.2f}, max {max(values):.2f})"
        )

    print(f"live ingest, {args.size}@30 source, {args.runs} runs of {args.seconds} s, "  # noqa: T201
          f"{results[0]['variants']} variants, {os.cpu_count()} cores (shared)")  # fmt: skip
    for label, key, unit in (
        ("push start -> on_publish", "on_publish", "s"),
        ("push start -> master playlist served", "master", "s"),
        ("push start -> a segment in every variant", "listed", "s"),
        ("ladder CPU (probe + ffmpeg, all rungs)", "ladder_cores", "cores"),
        ("the push encoder's CPU, for comparison", "encoder_cores", "cores"),
    ):
        print(line(label, key, unit))  # noqa: T201


if __name__ == "__main__":
    main()
