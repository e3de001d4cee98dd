"""Live ingest: glass-to-playlist latency and the CPU of the HLS ladder.

Starts the real nginx with the RTMP module, configured from ``deploy/nginx-rtmp/``
(rendered into a temporary prefix, free ports), against a stand-in for Agora's
callbacks (publish answers 302 to an internal name, the rest 204, the playable check
204; see ``bench/nginx_rtmp.py``), pushes a synthetic source with ffmpeg (``testsrc2``, 720p30 by default, keyframes
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
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.nginx_rtmp import StandIn, nginx_running, push, status  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


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
    with nginx_running() as nginx:
        started = time.monotonic()
        pusher = push(nginx, seconds, size)
        base = nginx.hls_url
        master_at = listed_at = None
        variants: list[str] = []
        while time.monotonic() - started < seconds and (listed_at is None):
            if master_at is None:
                code, text = status(f"{base}/index.m3u8")
                if code == 200:
                    master_at = time.monotonic()
                    variants = re.findall(r"^(\w+)/index\.m3u8$", text, re.MULTILINE)
            elif all("#EXTINF" in status(f"{base}/{v}/index.m3u8")[1] for v in variants):
                listed_at = time.monotonic()
            time.sleep(0.02)
        # Steady state: from the first listed segment to shortly before the push ends.
        window = max(2.0, seconds - (time.monotonic() - started) - 2)
        ladder, encoder = _pids_with(str(nginx.hls_dir)), [pusher.pid]
        ladder_before, encoder_before = _cpu_seconds(ladder), _cpu_seconds(encoder)
        time.sleep(window)
        ladder_cpu = (_cpu_seconds(ladder) - ladder_before) / window
        encoder_cpu = (_cpu_seconds(encoder) - encoder_before) / window
        pusher.wait(timeout=seconds + 10)
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
