"""Children that die with their parent: Linux's PR_SET_PDEATHSIG, set between fork and exec.

A transcode worker may be killed outright (SIGKILL, the OOM killer, a lost machine), and then nothing of it runs
to stop its ffmpeg; the kernel does, when asked to beforehand. The signal follows the thread that forked the
child, not the process, so callers fork from threads that live as long as the job (a worker's pool threads)."""

from __future__ import annotations

import ctypes
import functools
import os
import signal
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int]:
    # Looked up before fork: resolving a symbol in the forked child of a threaded process could deadlock.
    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


def preexec(parent_pid: int) -> Callable[[], None]:
    prctl = _prctl()
    # Computed here: the child of a threaded parent should do as little as possible before exec.
    kill = int(signal.SIGKILL)

    def arm() -> None:
        if prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0) != 0:
            os._exit(126)
        # The parent may have died between fork and prctl; no signal would ever come then.
        if os.getppid() != parent_pid:
            os._exit(126)

    return arm
