"""Nothing lost, nothing doubled: how :func:`toolkit.score_files` makes its output visible.

The protocol, for one job with destination ``D`` and a fresh job id ``J``:

1. **Check** (driver, before anything is written): ``D`` is refused when it lies
   inside the source or contains it, and, unless ``mode="overwrite"``, when it
   exists at all. A refused call changes nothing on disk.
2. **Begin** (driver): create ``D/_temporary/J/``. Spark, pandas and pyarrow skip
   names starting with ``_``, so readers see nothing of the job yet.
3. **Task commit** (worker, per fragment): write
   ``D/_temporary/J/_attempts/<uuid>.parquet`` (unique per attempt), close it, then
   move it to ``D/_temporary/J/<output path>``, a name derived from the input
   fragment. The move replaces, so a retried or speculative attempt rewrites the
   same name with the same rows instead of adding a second copy; an attempt that
   dies leaves only an orphan under ``_attempts``.
4. **Job commit** (driver, after every task succeeded): check every planned
   fragment is staged; for ``overwrite`` remove ``D/_SUCCESS`` and then the previous
   output; move each staged file to ``D/<output path>``; write ``D/_SUCCESS`` (the
   run's report as JSON); delete ``D/_temporary/J``.
5. **Abort** (driver, when the job failed): delete ``D/_temporary/J``, and ``D``
   itself when this job created it. A failed ``overwrite`` keeps the previous
   output untouched, and no failed run leaves a ``_SUCCESS``.

What is not atomic: step 4 moves files one by one (a rename each on local disks
and HDFS, a copy on object stores). A driver that dies during step 4 leaves part
of the new output visible without ``_SUCCESS``; readers that wait for
``_SUCCESS`` are safe. Renaming one staging directory would close that gap on
POSIX filesystems only (object stores have no atomic directory rename), so the
same protocol runs everywhere. One writer per destination at a time.

Examples
--------
>>> existed = check_destination(dest, source_root, mode="error")   # doctest: +SKIP
>>> commit = begin(dest, mode="error", existed=existed)           # doctest: +SKIP
>>> finish(commit, ["region=eu/part-0.parquet"], b"{}")           # doctest: +SKIP
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from toolkit.exceptions import DestinationExistsError, InvalidOptionError, ScoringJobError
from toolkit.planning import Location

__all__ = ["MODES", "Commit", "abort", "begin", "check_destination", "finish", "publish"]

MODES = ("error", "overwrite")
TEMPORARY = "_temporary"
SUCCESS = "_SUCCESS"


@dataclass(frozen=True)
class Commit:
    """One job's staging area under the destination ``root``."""

    fs: Any
    root: str
    job: str
    mode: str
    existed: bool

    @property
    def staging(self) -> str:
        return f"{self.root}/{TEMPORARY}/{self.job}"

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

    if mode not in MODES:
        raise InvalidOptionError(f"mode must be one of {', '.join(MODES)}; got {mode!r}.")
    kind, dest = destination.key()
    source_kind, src = source.key()
    if kind == source_kind and (dest == src or _inside(dest, src) or _inside(src, dest)):
        where = "is" if dest == src else "is inside" if _inside(dest, src) else "contains"
        raise DestinationExistsError(
            f"The destination {destination.uri!r} {where} the source {source.uri!r}; scoring "
            "must never write over its own input. Choose a destination outside the source."
        )
    exists = destination.fs.get_file_info(dest).type != pafs.FileType.NotFound
    if exists and mode != "overwrite":
        raise DestinationExistsError(
            f"The destination {destination.uri!r} already exists. Choose a new path, or pass "
            "mode='overwrite' (the CLI: --mode overwrite) to replace it."
        )
    return exists


def begin(destination: Location, *, mode: str, existed: bool) -> Commit:
    """Create the job's staging directory (and the destination when it is new)."""
    from pyarrow import fs as pafs

    fs, root = destination.fs, destination.path
    if existed and fs.get_file_info(root).type == pafs.FileType.File:
        fs.delete_file(root)  # overwrite of a plain file: a directory takes its place
    commit = Commit(fs, root, uuid.uuid4().hex, mode, existed)
    fs.create_dir(commit.attempts, recursive=True)
    return commit


def publish(fs: Any, temporary: str, final: str) -> None:
    """Task commit: move a closed attempt file onto its deterministic name (replacing)."""
    fs.create_dir(posixpath.dirname(final), recursive=True)
    fs.move(temporary, final)


def finish(commit: Commit, outputs: Sequence[str], success: bytes | Callable[[], bytes]) -> None:
    """Job commit: publish every staged output, then ``_SUCCESS``, then clean up.

    ``success`` is the content of ``_SUCCESS``, or a function that makes it once the
    outputs are in place.
    """
    from pyarrow import fs as pafs

    fs = commit.fs
    staged = [commit.staged(rel) for rel in outputs]
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
    if commit.existed and commit.mode == "overwrite":
        _remove_previous_output(commit)
    for parent in sorted({posixpath.dirname(commit.final(rel)) for rel in outputs}):
        fs.create_dir(parent, recursive=True)
    moves = [(commit.staged(rel), commit.final(rel)) for rel in outputs]
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
    """Undo a failed job: drop its staging area, and the destination if this job made it."""
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


def _cleanup(commit: Commit) -> None:
    from pyarrow import fs as pafs

    fs = commit.fs
    try:
        fs.delete_dir(commit.staging)
        parent = f"{commit.root}/{TEMPORARY}"
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


def _inside(path: str, parent: str) -> bool:
    return path.startswith(parent.rstrip("/") + "/")
