"""The one ffmpeg command-line builder, from validated allowlisted values only, and process start."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reelhouse.errors import InvalidInput, MediaError
from reelhouse.media import hw_encode, parent_death

# Decided once: the system ffmpeg (it has the hardware encoders and is what Debian patches); `reelhouse doctor`
# and the docs report this path.
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
# superfast: about 1.4x the speed of veryfast for a little more bitrate; first segments matter more here.
_VIDEO_ENCODERS = {"h264": ("libx264", "-preset", "superfast", "-profile:v", "high", "-pix_fmt", "yuv420p")}
_AUDIO_ENCODERS = {"aac": ("aac",), "opus": ("libopus",), "mp3": ("libmp3lame",)}
_PROGRESSIVE_FORMATS = {"aac": "adts", "opus": "ogg", "mp3": "mp3"}
AUDIO_BITRATES_KBPS = frozenset({64, 96, 128, 160, 192, 256, 320})
SEGMENT_SECONDS = frozenset({2, 3, 4, 6})
ARTWORK_WIDTHS = frozenset({160, 320, 480, 720, 1080})
_BASE = ("-nostdin", "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file")


def _int(name: str, value: object, low: int, high: int) -> int:
    # bool is an int in Python; a True smuggled in as "1" is still refused.
    if type(value) is not int or not low <= value <= high:
        raise InvalidInput(f"{name} is out of range.", name)
    return value


def _seconds(name: str, value: object, high: float = 86400.0 * 7) -> str:
    if type(value) not in (int, float) or not 0 <= float(value) <= high:  # type: ignore[arg-type]
        raise InvalidInput(f"{name} is out of range.", name)
    return f"{float(value):.3f}"  # type: ignore[arg-type]


def _choice(name: str, value: object, allowed: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"{name} is not one of the allowed values.", name)
    return allowed[value]


@dataclass(frozen=True)
class Input:
    """A media file the access decision opened and checked, read by ffmpeg through the descriptor it inherits:
    a path swapped after the check cannot change what ffmpeg reads. Only services.media_files makes these."""

    fd: int

    @property
    def arg(self) -> str:
        if type(self.fd) is not int or self.fd < 0:
            raise InvalidInput("The input is not an open file.", "source")
        # The file: prefix keeps the name from being read as another protocol or an option.
        return f"file:/proc/self/fd/{self.fd}"


def _output_dir(folder: Path) -> str:
    real = os.path.realpath(folder)
    if not os.path.isdir(real):
        raise InvalidInput("The output folder does not exist.", "output")
    return real


@dataclass(frozen=True)
class HlsJob:
    source: Input
    output: Path
    start_segment: int
    segment_seconds: int
    audio_index: int | None
    audio_codec: str | None  # None copies the audio
    audio_kbps: int
    video_index: int
    video_codec: str | None  # None copies the video
    height: int | None = None
    video_kbps: int | None = None
    burn_subtitle_index: int | None = None
    # A transcode worker's `gpu` job: the checked hardware encoder that replaces libx264 (media/hw_encode.py).
    hardware: hw_encode.Hardware | None = None


def hls_argv(job: HlsJob) -> list[str]:
    source = job.source.arg
    out = _output_dir(job.output)
    segment = _int("segment_seconds", job.segment_seconds, 2, 6)
    if segment not in SEGMENT_SECONDS:
        raise InvalidInput("segment_seconds is not allowed.", "segment_seconds")
    start = _int("start_segment", job.start_segment, 0, 1_000_000)
    video_index = _int("video_index", job.video_index, 0, 1023)
    hw = job.hardware if job.video_codec is not None else None
    argv = [FFMPEG, *_BASE, *(hw_encode.input_args(hw) if hw is not None else ())]
    if start:
        argv += ["-ss", f"{start * segment}"]
    # copyts keeps the source's timeline, so a restarted encoder's segments line up with the playlist.
    argv += [
        "-copyts",
        "-avoid_negative_ts",
        "disabled",
        "-i",
        source,
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-sn",
        "-dn",
    ]
    scale = ""
    if job.video_codec is not None:
        scale = f"scale=-2:{_int('height', job.height, 144, 4320)}"
        scale += f",{hw_encode.upload_filter(hw)}" if hw is not None else ""
    if job.burn_subtitle_index is not None:
        if job.video_codec is None:
            raise InvalidInput("Burning in subtitles needs a video encode.", "video_codec")
        burn = _int("burn_subtitle_index", job.burn_subtitle_index, 0, 1023)
        argv += ["-filter_complex", f"[0:{video_index}][0:{burn}]overlay,{scale}[v]", "-map", "[v]"]
    else:
        argv += ["-map", f"0:{video_index}"]
    if job.audio_index is not None:
        argv += ["-map", f"0:{_int('audio_index', job.audio_index, 0, 1023)}"]
    if job.video_codec is None:
        argv += ["-c:v", "copy"]
    else:
        software = _choice("video_codec", job.video_codec, _VIDEO_ENCODERS)
        argv += ["-c:v", *(hw_encode.encoder_args(hw) if hw is not None else software)]
        kbps = _int("video_kbps", job.video_kbps, 100, 100_000)
        if job.burn_subtitle_index is None:
            argv += ["-vf", scale]
        argv += [
            "-b:v",
            f"{kbps}k",
            "-maxrate",
            f"{kbps}k",
            "-bufsize",
            f"{kbps * 2}k",
            "-force_key_frames",
            f"expr:gte(t,n_forced*{segment})",
            "-sc_threshold",
            "0",
        ]
    if job.audio_index is not None:
        if job.audio_codec is None:
            argv += ["-c:a", "copy"]
        else:
            argv += ["-c:a", *_choice("audio_codec", job.audio_codec, {"aac": ("aac",)}), "-ac", "2"]
            argv += ["-b:a", f"{_audio_kbps(job.audio_kbps)}k"]
    argv += [
        "-f",
        "hls",
        "-hls_time",
        str(segment),
        "-hls_list_size",
        "0",
        "-hls_segment_type",
        "mpegts",
        "-start_number",
        str(start),
        "-hls_flags",
        "temp_file",
        "-hls_segment_filename",
        os.path.join(out, "seg%d.ts"),
        os.path.join(out, "ffmpeg.m3u8"),
    ]
    return argv


def _audio_kbps(value: object) -> int:
    if type(value) is not int or value not in AUDIO_BITRATES_KBPS:
        raise InvalidInput("audio bitrate is not allowed.", "audio_kbps")
    return value


def audio_argv(source: Input, audio_index: int, codec: str, kbps: int) -> list[str]:
    """A progressive audio stream written to stdout."""
    encoder = _choice("audio_codec", codec, _AUDIO_ENCODERS)
    return [
        FFMPEG,
        *_BASE,
        "-i",
        source.arg,
        "-map",
        f"0:{_int('audio_index', audio_index, 0, 1023)}",
        "-vn",
        "-sn",
        "-dn",
        "-map_metadata",
        "-1",
        "-c:a",
        *encoder,
        "-b:a",
        f"{_audio_kbps(kbps)}k",
        "-f",
        _PROGRESSIVE_FORMATS[codec],
        "pipe:1",
    ]


def remux_audio_argv(source: Input, audio_index: int, decode: bool = False) -> list[str]:
    """One audio track copied, not re-encoded, into fragmented MP4 on stdout: what a browser's MediaSource
    takes for FLAC, Opus and AAC, whose own containers it refuses. Each fragment carries its own timing, so
    the stream needs no seekable output and can be appended as it arrives. With ``decode``, the track is
    decoded instead (which drops the encoder's priming, Opus's pre-skip and its end trim) and its samples
    encoded losslessly as 16-bit FLAC, starting at time zero."""
    codec = ["flac", "-sample_fmt", "s16"] if decode else ["copy"]
    return [
        FFMPEG,
        *_BASE,
        "-i",
        source.arg,
        "-map",
        f"0:{_int('audio_index', audio_index, 0, 1023)}",
        "-vn",
        "-sn",
        "-dn",
        "-map_metadata",
        "-1",
        "-c:a",
        *codec,
        # FLAC in MP4 is marked experimental in this ffmpeg, though browsers play it.
        "-strict",
        "experimental",
        "-f",
        "mp4",
        "-movflags",
        "+frag_keyframe+empty_moov+default_base_moof",
        "pipe:1",
    ]


def frame_argv(source: Input, at_seconds: float, output: Path) -> list[str]:
    """One JPEG frame from a video, for items with no artwork."""
    out_dir = _output_dir(output.parent)
    return [
        FFMPEG,
        *_BASE,
        "-ss",
        _seconds("at_seconds", at_seconds),
        "-i",
        source.arg,
        "-frames:v",
        "1",
        "-an",
        "-sn",
        "-f",
        "image2",
        "-c:v",
        "mjpeg",
        "-q:v",
        "3",
        "-y",
        os.path.join(out_dir, output.name),
    ]


@dataclass(frozen=True)
class SpriteJob:
    """Seek preview sheets: a frame every ``interval`` seconds, scaled to ``width`` x ``height``, laid out
    ``columns`` x ``rows`` per JPEG, written as sheet0.jpg, sheet1.jpg, ... into ``output``."""

    source: Input
    output: Path
    interval: int
    width: int
    height: int
    columns: int
    rows: int


def sprite_argv(job: SpriteJob) -> list[str]:
    out = _output_dir(job.output)
    interval = _int("interval", job.interval, 1, 600)
    width = _int("width", job.width, 16, 640)
    height = _int("height", job.height, 16, 640)
    columns = _int("columns", job.columns, 1, 32)
    rows = _int("rows", job.rows, 1, 32)
    return [
        FFMPEG,
        *_BASE,
        "-i",
        job.source.arg,
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        # round=up: tile n is the last frame at or before n x interval, not one up to half an interval later.
        f"fps=1/{interval}:round=up,scale={width}:{height},tile={columns}x{rows}",
        "-c:v",
        "mjpeg",
        "-q:v",
        "5",
        "-f",
        "image2",
        "-start_number",
        "0",
        "-y",
        os.path.join(out, "sheet%d.jpg"),
    ]


def start(
    argv: list[str],
    source: Input,
    log: Path | None = None,
    stdout_pipe: bool = False,
    die_with_parent: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ffmpeg in its own process group (so one kill ends it) with no shell, inheriting only its input;
    with ``die_with_parent`` the kernel kills it if the starting thread's process dies (a transcode worker)."""
    if not argv or argv[0] != FFMPEG:
        raise MediaError("refusing to run a command that is not ffmpeg")
    stderr = open(log, "ab") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else subprocess.DEVNULL,
            stderr=stderr,
            close_fds=True,
            pass_fds=(source.fd,),
            start_new_session=True,
            preexec_fn=parent_death.preexec(os.getpid()) if die_with_parent else None,
        )
    finally:
        if log is not None and not isinstance(stderr, int):
            stderr.close()


def run(argv: list[str], source: Input, timeout: float = 30.0) -> None:
    if not argv or argv[0] != FFMPEG:
        raise MediaError("refusing to run a command that is not ffmpeg")
    try:
        subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
            timeout=timeout,
            close_fds=True,
            pass_fds=(source.fd,),
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise MediaError("ffmpeg could not process the file") from exc


def stop(process: subprocess.Popen[bytes]) -> None:
    """Kill and reap: no zombie, no open pipe left behind."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, 9)
        except ProcessLookupError:
            pass
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def subtitle_argv(source: Input, stream_index: int) -> list[str]:
    """An embedded text subtitle stream as WebVTT on stdout."""
    return [
        FFMPEG,
        *_BASE,
        "-i",
        source.arg,
        "-map",
        f"0:{_int('stream_index', stream_index, 0, 1023)}",
        "-c:s",
        "webvtt",
        "-f",
        "webvtt",
        "pipe:1",
    ]


def output(argv: list[str], source: Input, timeout: float = 60.0, limit: int = 16 * 1024 * 1024) -> bytes:
    """Run ffmpeg and return what it wrote to stdout (bounded)."""
    if not argv or argv[0] != FFMPEG:
        raise MediaError("refusing to run a command that is not ffmpeg")
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=True,
            timeout=timeout,
            close_fds=True,
            pass_fds=(source.fd,),
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise MediaError("ffmpeg could not read this stream") from exc
    if len(done.stdout) > limit:
        raise MediaError("the stream is too large")
    return done.stdout
