"""Hardware H.264 encoders a transcode worker may use for `gpu` jobs, as argv pieces for media/ffmpeg.py's builder.

Only the encoders named here exist: a worker's config names one of them and a device, both checked here, so
nothing from a config file reaches ffmpeg's command line as syntax. Each encoder needs the frames in its own
shape: VAAPI and Quick Sync take NV12 frames uploaded to the device (`hwupload`), NVENC takes YUV 4:2:0 frames
from memory. Scaling and burning in subtitles stay software filters before the upload, so every encoder gets
the same picture the software encoder would."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reelhouse.errors import InvalidInput

VAAPI = "h264_vaapi"
QSV = "h264_qsv"
NVENC = "h264_nvenc"
GPU_ENCODERS = (VAAPI, QSV, NVENC)
# A DRM node (VAAPI, Quick Sync) or an NVIDIA GPU's index: nothing else can name a device.
_DRM_NODE = re.compile(r"/dev/dri/(?:renderD|card)[0-9]{1,3}")
_GPU_INDEX = re.compile(r"[0-9]{1,2}")
DEFAULT_DEVICES = {VAAPI: "/dev/dri/renderD128", QSV: "/dev/dri/renderD128", NVENC: "0"}


@dataclass(frozen=True)
class Hardware:
    """A checked encoder and device: only `hardware()` makes these."""

    encoder: str
    device: str


def hardware(encoder: object, device: object = None) -> Hardware:
    """The encoder and its device, or InvalidInput saying what is allowed; an empty device is the default one."""
    if not isinstance(encoder, str) or encoder not in GPU_ENCODERS:
        raise InvalidInput(
            f"gpu_encoder must be one of {', '.join(GPU_ENCODERS)}, got {encoder!r}.", "gpu_encoder"
        )
    if device is None or device == "":
        device = DEFAULT_DEVICES[encoder]
    pattern = _GPU_INDEX if encoder == NVENC else _DRM_NODE
    if not isinstance(device, str) or not pattern.fullmatch(device):
        wanted = "a GPU index such as 0" if encoder == NVENC else "a DRM node such as /dev/dri/renderD128"
        raise InvalidInput(f"gpu_device for {encoder} must be {wanted}, got {device!r}.", "gpu_device")
    return Hardware(encoder, device)


def input_args(hw: Hardware) -> list[str]:
    """Global options before the input: the device the upload filter and the encoder use."""
    checked = hardware(hw.encoder, hw.device)
    if checked.encoder == VAAPI:
        return ["-vaapi_device", checked.device]
    if checked.encoder == QSV:
        return ["-init_hw_device", f"qsv=qs:hw,child_device={checked.device}", "-filter_hw_device", "qs"]
    return []


def upload_filter(hw: Hardware) -> str:
    """Appended to the software filter chain (after scaling): the frames in the encoder's shape."""
    if hw.encoder == VAAPI:
        return "format=nv12,hwupload"
    if hw.encoder == QSV:
        return "format=nv12,hwupload=extra_hw_frames=64"
    return "format=yuv420p"


def encoder_args(hw: Hardware) -> list[str]:
    checked = hardware(hw.encoder, hw.device)
    if checked.encoder == NVENC:
        # p2: the fastest preset but one; first segments matter more than a few bits, as with libx264's superfast.
        return [NVENC, "-gpu", checked.device, "-preset", "p2"]
    return [checked.encoder]
