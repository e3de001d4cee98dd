#!/usr/bin/env python3
"""Transcode one live stream into Agora's adaptive HLS ladder (run by nginx-rtmp's exec_push).

nginx-rtmp starts this, per published stream, as::

    ladder.py --input rtmp://127.0.0.1:<port>/live/<internal name> \
              --output <hls dir>/<internal name> --log <log dir>/ladder-<internal name>.log

It probes the source's height, keeps the rungs below it (720p, 480p, 360p; the source
itself, copied, is always the top rung) and runs one ffmpeg for them all, passing
nginx's exec_kill_signal (TERM) on to it, so ffmpeg ends the playlists with
``#EXT-X-ENDLIST``. Output::

    <output>/index.m3u8            master playlist (BANDWIDTH, RESOLUTION, CODECS)
    <output>/<rung>/index.m3u8     one media playlist per rung (source, 720p, 480p, 360p)
    <output>/<rung>/seg_00000.ts   2-second segments (keyframes forced every 2 s)

Standard library only: it runs on the ingest host, outside Agora's virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

SEGMENT_SECONDS = 2
# (height, video bitrate, audio bitrate) below the source, highest first.
RUNGS = [(720, "2800k", "128k"), (480, "1400k", "96k"), (360, "800k", "64k")]
# BANDWIDTH announced for the copied source when its bitrate is unknown (bits/s).
SOURCE_BANDWIDTH_FALLBACK = 6_000_000
# How long to keep probing a source that shows no video yet (an encoder may send its
# audio, or nothing, for a while after publishing starts).
PROBE_SECONDS = 30
# Read two seconds of the source, not five, to learn its streams: a live source's
# first keyframe interval says all there is (FLV metadata, the codecs' headers).
FAST_START = ["-analyzeduration", "2000000"]
# Where ffmpeg writes the master playlist before CODECS are completed (nginx serves no
# dot-file).
FFMPEG_MASTER = ".ffmpeg-master.m3u8"


def probe(source: str, ffprobe: str) -> dict:
    """The source's video height, whether it has audio, and its bitrate if the encoder said."""
    command = [
        ffprobe, "-v", "error", "-rw_timeout", "5000000", *FAST_START,
        "-show_entries",
        "stream=codec_type,codec_name,profile,level,height:format_tags=videodatarate,audiodatarate",
        "-of", "json", source,
    ]  # fmt: skip
    deadline = time.monotonic() + PROBE_SECONDS
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        try:
            found = subprocess.run(  # noqa: S603
                command, capture_output=True, check=True, timeout=15
            )
            data = json.loads(found.stdout or b"{}")
        except (subprocess.SubprocessError, ValueError) as error:
            sys.stderr.write(f"ladder: probe {attempt} failed: {error}\n")
            time.sleep(0.5)
            continue
        streams = data.get("streams", [])
        video = next((s for s in streams if s.get("codec_type") == "video"), None)
        if video is None or not video.get("height"):
            sys.stderr.write(f"ladder: probe {attempt} found no video yet\n")
            time.sleep(0.5)
            continue
        tags = data.get("format", {}).get("tags", {})
        kbps = float(tags.get("videodatarate") or 0) + float(tags.get("audiodatarate") or 0)
        audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
        return {
            "height": int(video["height"]),
            "codecs": source_codecs(video, audio),
            "audio": audio is not None,
            "bandwidth": int(kbps * 1000 * 1.2) or SOURCE_BANDWIDTH_FALLBACK,
        }
    return {"height": 0, "audio": True, "bandwidth": SOURCE_BANDWIDTH_FALLBACK, "codecs": ""}


H264_PROFILES = {"baseline": "42", "constrained baseline": "42E0", "main": "4D", "high": "64"}


def source_codecs(video: dict, audio: dict | None) -> str:
    """The RFC 6381 CODECS of the copied source ("" when not H.264/AAC as expected).

    ffmpeg leaves them out of the master playlist for a copied FLV source (it reads
    them only from Annex B extradata), and players choose rungs by them.
    """
    profile = H264_PROFILES.get(str(video.get("profile", "")).lower())
    level = video.get("level")
    if video.get("codec_name") != "h264" or profile is None or not isinstance(level, int):
        return ""
    codecs = f"avc1.{profile:0<4}{level:02X}"
    if audio is not None and audio.get("codec_name") == "aac":
        codecs += ",mp4a.40.2"
    return codecs


def add_source_codecs(master: str, codecs: str) -> str:
    """``master`` with CODECS on the source rung's ``#EXT-X-STREAM-INF`` when it has none."""
    lines = master.split("\n")
    for index, line in enumerate(lines[:-1]):
        is_source = lines[index + 1].startswith("source/")
        if line.startswith("#EXT-X-STREAM-INF:") and is_source and "CODECS=" not in line:
            lines[index] = f'{line},CODECS="{codecs}"'
    return "\n".join(lines)


def run(command: list[str], output: str, codecs: str, variants: int) -> int:
    """Run ffmpeg, pass nginx's TERM on to it, and publish the completed master playlist.

    ffmpeg writes its master playlist once, before the first segment, under a name nginx
    does not serve (:data:`FFMPEG_MASTER`); it is completed and renamed into place as
    ``index.m3u8`` once it names all ``variants``, so a player never reads a partial one.
    """
    process = subprocess.Popen(command)  # noqa: S603
    signal.signal(signal.SIGTERM, lambda _signal, _frame: process.terminate())
    signal.signal(signal.SIGINT, lambda _signal, _frame: process.terminate())
    written = Path(output) / FFMPEG_MASTER
    while process.poll() is None:
        text = written.read_text() if written.exists() else ""
        if len(re.findall(r"^\w+/index\.m3u8$", text, re.MULTILINE)) == variants:
            completed = Path(output) / ".index.m3u8.tmp"
            completed.write_text(add_source_codecs(text, codecs) if codecs else text)
            completed.replace(Path(output) / "index.m3u8")
            break
        time.sleep(0.05)
    return process.wait()


def rungs_for(height: int) -> list[tuple[int, str, str]]:
    """The transcoded rungs for a source ``height``: only those strictly below it."""
    return [rung for rung in RUNGS if rung[0] < height]


def command_for(source: str, output: str, found: dict, ffmpeg: str) -> list[str]:
    rungs = rungs_for(found["height"])
    audio = found["audio"]
    command = [ffmpeg, "-hide_banner", "-loglevel", "warning", "-nostdin", *FAST_START]
    command += ["-i", source]
    if rungs:
        splits = "".join(f"[v{index}]" for index in range(len(rungs)))
        scales = ";".join(
            f"[v{index}]scale=-2:{height}[s{index}]" for index, (height, _v, _a) in enumerate(rungs)
        )
        command += ["-filter_complex", f"[0:v]split={len(rungs)}{splits};{scales}"]
    # Rung 0 is the source, copied: its segments follow the encoder's keyframes.
    command += ["-map", "0:v:0"] + (["-map", "0:a:0"] if audio else [])
    command += ["-c:v:0", "copy", "-b:v:0", str(found["bandwidth"])]
    if audio:
        command += ["-c:a:0", "copy"]
    stream_map = ["v:0,a:0,name:source" if audio else "v:0,name:source"]
    for index, (height, video_rate, audio_rate) in enumerate(rungs, start=1):
        command += ["-map", f"[s{index - 1}]"] + (["-map", "0:a:0"] if audio else [])
        # Encoder options per output stream: the copied source takes none.
        command += [
            f"-c:v:{index}", "libx264", f"-b:v:{index}", video_rate,
            f"-maxrate:v:{index}", video_rate, f"-bufsize:v:{index}", video_rate,
            f"-preset:v:{index}", "veryfast", f"-tune:v:{index}", "zerolatency",
            f"-profile:v:{index}", "main", f"-sc_threshold:v:{index}", "0",
            f"-force_key_frames:v:{index}", f"expr:gte(t,n_forced*{SEGMENT_SECONDS})",
        ]  # fmt: skip
        if audio:
            command += [f"-c:a:{index}", "aac", f"-b:a:{index}", audio_rate]
        stream_map.append(
            f"v:{index},a:{index},name:{height}p" if audio else f"v:{index},name:{height}p"
        )
    command += [
        "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_list_size", "6",
        "-hls_flags", "delete_segments+independent_segments+temp_file",
        "-var_stream_map", " ".join(stream_map), "-master_pl_name", FFMPEG_MASTER,
        "-hls_segment_filename", f"{output}/%v/seg_%05d.ts", f"{output}/%v/index.m3u8",
    ]  # fmt: skip
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the RTMP URL to pull (local play)")
    parser.add_argument("--output", required=True, help="the stream's HLS directory")
    parser.add_argument("--log", help="append ffprobe's and ffmpeg's messages here")
    parser.add_argument("--ffmpeg", default="ffmpeg")
    parser.add_argument("--ffprobe", default="ffprobe")
    parser.add_argument("--dry-run", action="store_true", help="print the ffmpeg command")
    args = parser.parse_args(argv)
    if args.log:
        log = os.open(args.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        os.dup2(log, 2)
        os.dup2(log, 1)
    os.makedirs(args.output, exist_ok=True)
    found = probe(args.input, args.ffprobe)
    command = command_for(args.input, args.output, found, args.ffmpeg)
    sys.stderr.write(f"ladder: source {found}; running {' '.join(command)}\n")
    sys.stderr.flush()
    if args.dry_run:
        return 0
    variants = 1 + len(rungs_for(found["height"]))
    return run(command, args.output, found["codecs"], variants)


if __name__ == "__main__":
    sys.exit(main())
