"""HLS transcoding: first 720p segment from a 1080p H.264 source, the first segment after a seek, and speed.

Reference measured in the same run: the same ffmpeg transcode (the server's own argv) run by hand outside the
server, for the speed ratio. Targets: first segment ≤ 2.5 s, first segment after a seek ≤ 2.5 s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_catalogue import PASSWORD, free_port, start  # noqa: E402
from bench_stream import prepare  # noqa: E402

from reelhouse.media import ffmpeg  # noqa: E402
from reelhouse.services.hls_session import SEGMENT_SECONDS  # noqa: E402

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def source(path: Path, seconds: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            FFMPEG,
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "8M",
            "-g",
            "60",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-shortest",
            str(path),
        ],
        check=True,
        timeout=600,
    )


class Api:
    def __init__(self, port: int) -> None:
        self.port = port
        self.token = ""

    def call(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()


def timed_segment(api: Api, base: str, line: str) -> float:
    t0 = time.perf_counter()
    status, body = api.call("GET", f"{base}/{line}")
    assert status == 200 and body[:1] == b"\x47", (status, body[:200])
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 24
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        media = work / "movies" / "Source" / "source.mp4"
        t0 = time.perf_counter()
        source(media, args.seconds)
        print(f"made a {args.seconds} s 1080p30 H.264 source in {time.perf_counter() - t0:.1f} s")
        data_dir = work / "data"
        prepare(data_dir, media)
        port = free_port()
        server = start(data_dir, port)
        try:
            api = Api(port)
            _, body = api.call("POST", "/api/auth/login", {"username": "owner", "password": PASSWORD})
            api.token = json.loads(body)["token"]
            item = json.loads(api.call("GET", "/api/search?q=source")[1])[0]["id"]
            profile = {
                "profile": {
                    "containers": ["mp4"],
                    "video_codecs": ["h264"],
                    "audio_codecs": ["aac"],
                    "max_width": 1280,
                    "max_height": 720,
                }
            }
            t0 = time.perf_counter()
            status, body = api.call("POST", f"/api/items/{item}/playback", profile)
            answer = json.loads(body)
            assert status == 200 and answer["method"] == "transcode", answer
            base = answer["url"].rsplit("/", 1)[0]
            master = api.call("GET", answer["url"])[1].decode()
            playlist = api.call("GET", f"{base}/{master.strip().splitlines()[-1]}")[1].decode()
            segments = [line for line in playlist.splitlines() if ".ts?" in line]
            timed_segment(api, base, segments[0])
            first = time.perf_counter() - t0
            seek_to = len(segments) * 3 // 4
            after_seek = timed_segment(api, base, segments[seek_to])
            # Speed: a fresh session encoding from the start, all segments fetched in order.
            status, body = api.call("POST", f"/api/items/{item}/playback", profile)
            again = json.loads(body)
            base2 = again["url"].rsplit("/", 1)[0]
            master2 = api.call("GET", again["url"])[1].decode()
            playlist2 = api.call("GET", f"{base2}/{master2.strip().splitlines()[-1]}")[1].decode()
            t0 = time.perf_counter()
            for line in [ln for ln in playlist2.splitlines() if ".ts?" in ln]:
                timed_segment(api, base2, line)
            served_speed = args.seconds / (time.perf_counter() - t0)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)
        # Reference: the same encode by hand, outside the server.
        out = work / "ref"
        out.mkdir()
        # Read through a descriptor, as the server's encoders do.
        opened = ffmpeg.Input(os.open(media, os.O_RDONLY))
        argv = ffmpeg.hls_argv(
            ffmpeg.HlsJob(
                source=opened,
                output=out,
                start_segment=0,
                segment_seconds=SEGMENT_SECONDS,
                audio_index=1,
                audio_codec=None,
                audio_kbps=160,
                video_index=0,
                video_codec="h264",
                height=720,
                video_kbps=4000,
            )
        )
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, timeout=600, pass_fds=(opened.fd,))
        plain_speed = args.seconds / (time.perf_counter() - t0)
        print(
            f"first 720p segment ready (POST playback → segment 0 received): {first:.2f} s (target ≤ 2.5 s)"
            f" {'PASS' if first <= 2.5 else 'FAIL'}"
        )
        print(
            f"first segment after a seek to 75 %: {after_seek:.2f} s (target ≤ 2.5 s)"
            f" {'PASS' if after_seek <= 2.5 else 'FAIL'}"
        )
        print(
            f"transcode speed through the server: {served_speed:.2f}× real time; the same ffmpeg by hand:"
            f" {plain_speed:.2f}× real time (ratio {served_speed / plain_speed:.2f})"
        )


if __name__ == "__main__":
    main()
