"""Who owns a staging area, and whether its run is gone: the commit protocol's abandoned jobs.

Every job writes ``S/_owner`` (JSON: job id, host, pid, the process's start time, the
destination, when the job began) right after creating its staging area ``S``. A
staging area is **abandoned** when its driver cannot be running any more:

- same host: no process has that pid, or the process that has it started at
  another time (the pid was reused);
- another host: the job began more than :data:`LEASE_SECONDS` ago (a driver there
  cannot be asked);
- no ``_owner`` (a run killed between creating ``S`` and writing it, or a version
  before this protocol): the directory is older than :data:`LEASE_SECONDS`, or it
  is older than a minute and holds nothing but an empty ``_attempts``.

Examples
--------
>>> owner_record("/data/out", "abc")["job"]
'abc'
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import socket
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["LEASE_SECONDS", "OWNER", "Staging", "find_staging", "owner_record"]

OWNER = "_owner"
LEASE_SECONDS = 24 * 3600.0
_TEMPORARY = "_temporary"
_FILE_STAGING = "_scaleout_temporary_"


@dataclass(frozen=True)
class Staging:
    """One staging area found for a destination."""

    path: str
    owner: dict[str, Any] | None
    abandoned: bool

    def describe(self) -> str:
        """``job 3f2a... (host h, pid 123, began 2026-05-01 10:00:00 UTC)``."""
        job = posixpath.basename(self.path).removeprefix(_FILE_STAGING)
        if self.owner is None:
            return f"job {job} (owner unknown)"
        began = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.owner.get("began", 0)))
        return (
            f"job {job} (host {self.owner.get('host')}, pid {self.owner.get('pid')}, began {began})"
        )


def owner_record(root: str, job: str) -> dict[str, Any]:
    """What ``S/_owner`` holds for a job of this process writing ``root``."""
    return {
        "job": job,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "process_started": _process_started(os.getpid()),
        "destination": root,
        "began": time.time(),
    }


def find_staging(fs: Any, root: str) -> list[Staging]:
    """The staging areas of jobs writing ``root``: ``root/_temporary/*``, and the
    ``_scaleout_temporary_*`` beside ``root`` whose owner names ``root`` (a plain file)."""
    from pyarrow import fs as pafs

    found: list[Staging] = []
    candidates = []
    with contextlib.suppress(OSError):
        selector = pafs.FileSelector(f"{root}/{_TEMPORARY}", allow_not_found=True)
        candidates += [(info, False) for info in fs.get_file_info(selector)]
    with contextlib.suppress(OSError):
        parent = pafs.FileSelector(posixpath.dirname(root) or "/", allow_not_found=True)
        candidates += [
            (info, True)
            for info in fs.get_file_info(parent)
            if posixpath.basename(info.path).startswith(_FILE_STAGING)
        ]
    for info, beside in candidates:
        if info.type != pafs.FileType.Directory:
            continue
        owner = _read_owner(fs, info.path)
        if beside and (owner is None or owner.get("destination") != root):
            continue  # another destination's, or unknowable: never touched from here
        found.append(Staging(info.path, owner, _abandoned(fs, info, owner)))
    return found


def _read_owner(fs: Any, staging: str) -> dict[str, Any] | None:
    try:
        with fs.open_input_stream(f"{staging}/{OWNER}") as stream:
            owner = json.loads(stream.read())
        return owner if isinstance(owner, dict) else None
    except (OSError, ValueError):
        return None


def _abandoned(fs: Any, info: Any, owner: dict[str, Any] | None) -> bool:
    from pyarrow import fs as pafs

    now = time.time()
    if owner is None:
        mtime = info.mtime.timestamp() if info.mtime is not None else now
        if now - mtime > LEASE_SECONDS:
            return True
        with contextlib.suppress(OSError):  # killed before it wrote _owner: nothing inside
            entries = fs.get_file_info(pafs.FileSelector(info.path, recursive=True))
            names = [posixpath.relpath(e.path, info.path) for e in entries]
            return now - mtime > 60 and names in ([], ["_attempts"])
        return False
    if owner.get("host") != socket.gethostname():
        return now - float(owner.get("began", now)) > LEASE_SECONDS
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, someone else's
    started, recorded = _process_started(pid), owner.get("process_started")
    return started is not None and recorded is not None and abs(started - recorded) > 1.0


def _process_started(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), from ``/proc``; None where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # starttime, field 22 of stat(5)
        with open("/proc/stat") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None
