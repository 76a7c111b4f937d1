"""Nothing lost, nothing doubled: how :func:`toolkit.score_files` makes its output visible.

Both engines (``files`` and ``dataframe``) write through this protocol, for one job
with destination ``D`` and a fresh job id ``J``:

1. **Check** (driver, before anything is written): ``D`` is refused when it lies
   inside the source or contains it, and, unless ``mode="overwrite"``, when it
   exists at all (a directory holding nothing but abandoned staging areas, see
   below, counts as new). A refused call changes nothing on disk.
2. **Begin** (driver): create the job's staging area ``S``: ``D/_temporary/J/`` when
   ``D`` is a directory or new; ``<parent of D>/_scaleout_temporary_J/`` when ``D``
   is an existing plain file that ``overwrite`` will replace (the file stays in place
   until step 4). Spark, pandas and pyarrow skip names starting with ``_``, so
   readers see nothing of the job yet. This is the only place ``S`` is created.
   ``S/_owner`` records who runs the job (host, pid, process start time, when it
   began), and every abandoned staging area of ``D`` is removed first.
3. **Task commit** (worker, per fragment; files engine): write
   ``S/_attempts/<uuid>.parquet`` (unique per attempt), close it, then move it to
   ``S/<output path>``, a name derived from the input fragment. The move replaces,
   so a retried or speculative attempt rewrites the same name with the same rows
   instead of adding a second copy; an attempt that dies leaves only an orphan
   under ``_attempts``. :func:`publish` creates subdirectories one level at a time
   under an existing ``S`` and never ``S`` itself: once an abort removed ``S``, a
   straggling task fails instead of recreating it. The dataframe engine lets Spark
   write ``S/_spark/`` with Spark's own task commit instead.
4. **Job commit** (driver, after every task succeeded): check every planned output
   is staged; for ``overwrite`` remove ``D/_SUCCESS`` and then the previous output
   (a plain file ``D`` is deleted and a directory takes its place); move each staged
   file to ``D/<output path>``; write ``D/_SUCCESS`` (the run's report as JSON);
   delete ``S``.
5. **Abort** (driver, when the job failed): the engine first cancels the job's Spark
   jobs and waits until none of their tasks still runs (classic Spark; Spark Connect
   has no task status, so there step 3's refusal is what stops a straggler); then
   ``S`` is deleted, retried until it stays gone, and ``D`` itself when this job
   created it. A failed ``overwrite`` keeps the previous output (directory or file)
   untouched, and no failed run leaves a ``_SUCCESS``.

Abandoned runs: a driver killed mid-job (``kill -9``, a lost node) leaves ``S``
behind, and nothing else will remove it. A staging area is abandoned when its
``_owner`` names this host and no live process with that pid and start time, or
another host and a job older than :data:`toolkit.files.stale.LEASE_SECONDS`
(24 h; a driver on another host cannot be asked). ``mode="error"`` proceeds into a
destination that holds nothing but abandoned staging (and removes it), and says
that an earlier run did not finish when it refuses; step 2 removes every
abandoned staging area of ``D``, so ``overwrite`` never leaves stale ones. A live
job's staging area is never touched.

What is not atomic: step 4 moves files one by one (a rename each on local disks
and HDFS, a copy on object stores). A driver that dies during step 4 leaves part
of the new output visible without ``_SUCCESS``; readers that wait for
``_SUCCESS`` are safe. Renaming one staging directory would close that gap on
POSIX filesystems only (object stores have no atomic directory rename), so the
same protocol runs everywhere. One writer per destination at a time. On object
stores "``S`` is gone" cannot be told reliably from a task (there are no
directories), so there the wait in step 5 is the guarantee.

Examples
--------
>>> existed = check_destination(dest, source_root, mode="error")   # doctest: +SKIP
>>> commit = begin(dest, mode="error", existed=existed)           # doctest: +SKIP
>>> finish(commit, ["region=eu/part-0.parquet"], b"{}")           # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from toolkit.exceptions import DestinationExistsError, ScoringJobError
from toolkit.files.plan import Location
from toolkit.files.stale import OWNER, find_staging, owner_record
from toolkit.scoring.options import WRITE_MODES

__all__ = [
    "MODES",
    "Commit",
    "abort",
    "begin",
    "check_destination",
    "finish",
    "publish",
    "record_failure",
    "recorded_failure",
]

MODES = WRITE_MODES  # checked once, by toolkit.scoring.options.check_file_options
TEMPORARY = "_temporary"
FILE_STAGING = "_scaleout_temporary_"  # + job id, beside a plain-file destination
SUCCESS = "_SUCCESS"
FAILED = "_failed"  # in the staging area: an error retrying cannot fix


@dataclass(frozen=True)
class Commit:
    """One job's staging area ``staging`` for the destination ``root``."""

    fs: Any
    root: str
    job: str
    mode: str
    existed: bool
    staging: str
    replaces_file: bool = False  # overwrite of a plain file: a directory takes its place

    @property
    def attempts(self) -> str:
        return f"{self.staging}/_attempts"

    def staged(self, relative: str) -> str:
        return posixpath.join(self.staging, relative)

    def final(self, relative: str) -> str:
        return posixpath.join(self.root, relative)


def check_destination(destination: Location, source: Location, *, mode: str) -> bool:
    """Refuse an overlapping or (unless overwrite) existing destination; return whether it exists.

    Examples
    --------
    >>> check_destination(resolve("out"), resolve("in"), mode="error")  # doctest: +SKIP
    False
    """
    from pyarrow import fs as pafs

    kind, dest = destination.key()
    source_kind, src = source.key()
    if kind == source_kind and (dest == src or _inside(dest, src) or _inside(src, dest)):
        where = "is" if dest == src else "is inside" if _inside(dest, src) else "contains"
        raise DestinationExistsError(
            f"The destination {destination.uri!r} {where} the source {source.uri!r}; scoring "
            "must never write over its own input. Choose a destination outside the source."
        )
    fs = destination.fs
    exists = fs.get_file_info(dest).type != pafs.FileType.NotFound
    if exists and mode != "overwrite":
        stale = find_staging(fs, dest)
        live = [area for area in stale if not area.abandoned]
        only_staging = _only_staging(fs, dest)
        if stale and not live and only_staging:
            return False  # nothing but abandoned staging areas: begin() removes them
        message = f"The destination {destination.uri!r} already exists."
        abandoned = [area for area in stale if area.abandoned]
        if abandoned:
            message += (
                f" It holds the staging area of {len(abandoned)} earlier run(s) that did not "
                f"finish ({abandoned[0].describe()}): that output was never completed."
            )
        if live and only_staging:
            message += f" A run is writing it now ({live[0].describe()}); wait for it to end."
        raise DestinationExistsError(
            message + " Choose a new path, or pass mode='overwrite' (the CLI: --mode overwrite) "
            "to replace it."
        )
    return exists


def begin(destination: Location, *, mode: str, existed: bool) -> Commit:
    """Create the job's staging area (and the destination when it is new); touch nothing else."""
    from pyarrow import fs as pafs

    fs, root = destination.fs, destination.path
    job = uuid.uuid4().hex
    is_file = existed and fs.get_file_info(root).type == pafs.FileType.File
    if is_file:
        staging = posixpath.join(posixpath.dirname(root), f"{FILE_STAGING}{job}")
    else:
        staging = f"{root}/{TEMPORARY}/{job}"
    commit = Commit(fs, root, job, mode, existed, staging, replaces_file=is_file)
    for area in find_staging(fs, root):
        if area.abandoned:  # its driver is gone: nothing will ever finish or remove it
            _delete(fs, area.path)
    fs.create_dir(commit.attempts, recursive=True)
    with fs.open_output_stream(f"{staging}/{OWNER}") as stream:
        stream.write(json.dumps(owner_record(root, job)).encode())
    return commit


def publish(commit: Commit, temporary: str, relative: str) -> None:
    """Task commit: move a closed attempt file onto its deterministic name (replacing).

    Creates the missing directories of ``relative`` one level at a time under the
    staging area, never the staging area itself: when the job was aborted (the
    staging area is gone), this raises :class:`ScoringJobError` and leaves nothing.
    """
    from pyarrow import fs as pafs

    fs = commit.fs
    try:
        if fs.get_file_info(commit.staging).type != pafs.FileType.Directory:
            raise FileNotFoundError(commit.staging)
        path = commit.staging
        for part in relative.split("/")[:-1]:
            path = f"{path}/{part}"
            fs.create_dir(path, recursive=False)
        fs.move(temporary, commit.staged(relative))
    except OSError:
        if fs.get_file_info(commit.staging).type == pafs.FileType.Directory:
            raise
        raise ScoringJobError(
            f"The staging area {commit.staging} is gone: the job was aborted (another task "
            f"failed), so {relative!r} is not published. Nothing to fix here; see the job's "
            "first error."
        ) from None


def record_failure(commit: Commit, error: BaseException) -> None:
    """Task side: record an error no retry can fix, so that the job stops at once.

    Other attempts refuse to start (:func:`recorded_failure`), and the driver, which
    watches for the record, cancels the job instead of letting Spark retry the task
    ``spark.task.maxFailures`` times.
    """
    from pyarrow import fs as pafs

    with contextlib.suppress(OSError):  # the staging area may be gone (aborted)
        if commit.fs.get_file_info(commit.staging).type == pafs.FileType.Directory:
            record = {"type": type(error).__name__, "message": str(error)}
            with commit.fs.open_output_stream(f"{commit.staging}/{FAILED}") as stream:
                stream.write(json.dumps(record).encode())


def recorded_failure(commit: Commit) -> BaseException | None:
    """The error a task recorded with :func:`record_failure`, rebuilt; None when none was."""
    from toolkit import exceptions

    try:
        with commit.fs.open_input_stream(f"{commit.staging}/{FAILED}") as stream:
            record = json.loads(stream.read())
    except (OSError, ValueError):
        return None
    kind = getattr(exceptions, str(record.get("type")), None)
    if not (isinstance(kind, type) and issubclass(kind, exceptions.ToolkitError)):
        kind = ScoringJobError
    return kind(str(record.get("message", "")))


def finish(
    commit: Commit,
    outputs: Sequence[str],
    success: bytes | Callable[[], bytes],
    *,
    under: str = "",
) -> None:
    """Job commit: publish every staged output, then ``_SUCCESS``, then clean up.

    ``outputs`` are paths relative to the destination, staged at the same path under
    the staging area (or under ``staging/under`` when given). ``success`` is the content
    of ``_SUCCESS``, or a function that makes it once the outputs are in place.
    """
    from pyarrow import fs as pafs

    fs = commit.fs
    staged = [commit.staged(posixpath.join(under, rel)) for rel in outputs]
    infos = fs.get_file_info(staged) if staged else []
    missing = [
        path
        for path, info in zip(staged, infos, strict=True)
        if info.type is not pafs.FileType.File
    ]
    if missing:
        raise ScoringJobError(
            f"{len(missing)} of {len(staged)} outputs are missing from the staging area after "
            f"the job, e.g. {missing[0]}; nothing was published. Run again."
        )
    if commit.replaces_file:
        fs.delete_file(commit.root)  # the new output is complete: only now the old file goes
    elif commit.existed and commit.mode == "overwrite":
        _remove_previous_output(commit)
    fs.create_dir(commit.root, recursive=True)
    for parent in sorted({posixpath.dirname(commit.final(rel)) for rel in outputs}):
        fs.create_dir(parent, recursive=True)
    moves = [(source, commit.final(rel)) for source, rel in zip(staged, outputs, strict=True)]
    if fs.type_name == "local" or len(moves) < 8:
        for source, target in moves:
            fs.move(source, target)
    else:  # object stores copy on move: do many at once
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda pair: fs.move(*pair), moves))
    marker = f"{commit.staging}/{SUCCESS}"
    with fs.open_output_stream(marker) as stream:
        stream.write(success() if callable(success) else success)
    fs.move(marker, commit.final(SUCCESS))
    _cleanup(commit)


def abort(commit: Commit) -> None:
    """Undo a failed job: drop its staging area, and the destination if this job made it.

    Call it once the job's tasks have stopped (see the protocol, step 5).
    """
    from pyarrow import fs as pafs

    fs = commit.fs
    _cleanup(commit)
    if not commit.existed:
        try:
            left = fs.get_file_info(pafs.FileSelector(commit.root, allow_not_found=True))
            if not left:
                fs.delete_dir(commit.root)
        except OSError:
            pass


def _cleanup(commit: Commit, *, tries: int = 40) -> None:
    """Delete the staging area until it stays gone (a straggler may add a file meanwhile)."""
    from pyarrow import fs as pafs

    fs = commit.fs
    for attempt in range(tries):
        try:
            fs.delete_dir(commit.staging)
        except FileNotFoundError:
            pass
        except OSError:  # a file landed while deleting: "directory not empty"
            time.sleep(min(0.01 * 2**attempt, 0.5))
            continue
        if fs.get_file_info(commit.staging).type == pafs.FileType.NotFound:
            break
    if commit.replaces_file:
        return
    parent = f"{commit.root}/{TEMPORARY}"
    try:
        if not fs.get_file_info(pafs.FileSelector(parent, allow_not_found=True)):
            fs.delete_dir(parent)
    except OSError:  # already gone, or another job's staging sits beside ours
        pass


def _remove_previous_output(commit: Commit) -> None:
    from pyarrow import fs as pafs

    fs = commit.fs
    success = fs.get_file_info(commit.final(SUCCESS))
    if success.type == pafs.FileType.File:
        fs.delete_file(success.path)  # first: the old output stops claiming to be complete
    for entry in fs.get_file_info(pafs.FileSelector(commit.root)):
        if posixpath.basename(entry.path) == TEMPORARY:
            continue
        if entry.type == pafs.FileType.Directory:
            fs.delete_dir(entry.path)
        else:
            fs.delete_file(entry.path)


def _only_staging(fs: Any, root: str) -> bool:
    """Whether the directory ``root`` holds nothing but ``_temporary``."""
    from pyarrow import fs as pafs

    try:
        entries = fs.get_file_info(pafs.FileSelector(root))
    except OSError:  # a plain file
        return False
    return [posixpath.basename(entry.path) for entry in entries] == [TEMPORARY]


def _delete(fs: Any, path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        fs.delete_dir(path)


def _inside(path: str, parent: str) -> bool:
    return path.startswith(parent.rstrip("/") + "/")
