"""Plan a file-scoring job on the driver: list the input, read footers, cut fragments, pack tasks.

Nothing here starts Spark. The input is listed once (a file, a directory walked
recursively, or a glob), hive-style ``key=value`` directories become partition
values, and every file's footer (Parquet) or inferred schema (CSV, JSON) is read
so that a corrupt file or a missing feature column is an :class:`InputFileError`
naming the file before any job starts. Parquet files are then cut at row-group
boundaries into fragments (one output file each) and the fragments are packed
into a multiple-of-the-cores number of tasks, largest first.

Examples
--------
>>> src = resolve("data/customers/")                            # doctest: +SKIP
>>> listing = list_input(src, "parquet")                        # doctest: +SKIP
>>> files = inspect_files(listing, "parquet")                   # doctest: +SKIP
>>> fragments, tasks = cut(files, cores=8)                      # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import posixpath
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from toolkit._typing import PathLike
from toolkit.exceptions import InputFileError, first_line
from toolkit.files.partitions import (
    check_partition_keys,
    hive_pairs,
    partition_fields,
    partition_types,
    typed_value,
)

__all__ = [
    "FORMATS",
    "FileInfo",
    "Fragment",
    "Listing",
    "Location",
    "cut",
    "inspect_files",
    "list_input",
    "partition_fields",
    "resolve",
]

FORMATS = ("parquet", "csv", "json")
MAX_TASK_BYTES = 512 << 20  # uncompressed bytes per task: tasks stream, so only retry cost grows
_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Location:
    """A pyarrow filesystem and a normalised path on it; ``uri`` is what the user wrote."""

    fs: Any
    path: str
    uri: str

    def key(self) -> tuple[str, str]:
        """What two locations compare by: filesystem kind and absolute path."""
        return self.fs.type_name, self.path


@dataclass(frozen=True)
class Listing:
    """The input files under ``base`` with their hive partition values (raw strings)."""

    source: Location
    base: str
    files: tuple[tuple[str, int], ...]  # (path, size in bytes)
    partitions: dict[str, tuple[tuple[str, str | None], ...]]  # path -> ((key, value), ...)

    def relative(self, path: str) -> str:
        return posixpath.relpath(path, self.base)


@dataclass(frozen=True)
class FileInfo:
    """One input file as the driver saw it: schema, row groups and partition values."""

    path: str
    relative: str
    size: int
    schema: Any  # pyarrow.Schema of the data in the file (no partition columns)
    row_groups: tuple[tuple[int, int], ...] | None  # (rows, uncompressed bytes); None: not parquet
    partition: tuple[tuple[str, Any], ...]  # typed partition values

    @property
    def rows(self) -> int | None:
        return None if self.row_groups is None else sum(r for r, _ in self.row_groups)

    @property
    def bytes(self) -> int:
        if not self.row_groups:
            return self.size
        return sum(b for _, b in self.row_groups)


@dataclass(frozen=True)
class Fragment:
    """A slice of one input file (row groups, or the whole file) that becomes one output file."""

    index: int
    file: int  # index into the list of FileInfo
    row_groups: tuple[int, ...] | None  # None: the whole file
    rows: int | None
    bytes: int
    output: str  # path relative to the destination, posix


def resolve(uri: PathLike) -> Location:
    """Turn a local path or a filesystem URI (``s3://``, ``gs://``, ``hdfs://``) into a Location.

    Examples
    --------
    >>> resolve("/tmp/x").path
    '/tmp/x'
    """
    from pyarrow import fs as pafs

    text = os.fspath(uri)
    if "://" not in text and not text.startswith("file:"):
        return Location(pafs.LocalFileSystem(), os.path.realpath(os.path.abspath(text)), text)
    try:
        filesystem, path = pafs.FileSystem.from_uri(text)
    except Exception as exc:
        raise InputFileError(f"Cannot open {text!r}: {first_line(exc)}.") from None
    if filesystem.type_name == "local":
        path = os.path.realpath(path)
    return Location(filesystem, path.rstrip("/") or "/", text)


def list_input(source: Location, *, what: str = "input") -> Listing:
    """List the files of a file, a directory (recursive) or a glob, skipping hidden files.

    Hidden means a name starting with ``.`` or ``_`` (``_SUCCESS``, ``_temporary``,
    ``.crc`` files), as Spark does; ``_key=value`` partition directories are kept. A
    missing path, or a glob that matches no file or directory, is an
    :class:`InputFileError` naming what was searched; an existing directory (or a
    matched one) without files is an empty listing.
    """
    from pyarrow import fs as pafs

    pattern = None
    base = source.path
    if _GLOB.search(source.path):
        parts = source.path.split("/")
        first = next(i for i, part in enumerate(parts) if _GLOB.search(part))
        base = "/".join(parts[:first]) or "/"
        pattern = parts[first:]
    info = source.fs.get_file_info(base)
    if info.type == pafs.FileType.NotFound:
        if pattern is not None:
            raise _no_match(source, base, what, f"{base} does not exist")
        raise InputFileError(f"No {what} at {source.uri!r}: no such file or directory.")
    if info.type == pafs.FileType.File:
        if pattern is not None:  # "a/b.parquet/*": a file has nothing below it
            raise _no_match(source, base, what, f"{base} is a file")
        return Listing(source, posixpath.dirname(base), ((base, info.size),), {base: ()})
    selector = pafs.FileSelector(base, recursive=True)
    found = []
    matched = pattern is None
    for entry in source.fs.get_file_info(selector):
        parts = posixpath.relpath(entry.path, base).split("/")
        if any(_hidden(part) for part in parts):
            continue
        if pattern is not None and not _glob_match(parts, pattern):
            continue
        matched = True  # a matched directory counts: an empty one is an empty input
        if entry.type == pafs.FileType.File:
            found.append((entry.path, entry.size))
    if not matched:
        raise _no_match(source, base, what, f"nothing under {base} matches it")
    found.sort()
    partitions = {path: hive_pairs(posixpath.relpath(path, base)) for path, _ in found}
    check_partition_keys(partitions)
    return Listing(source, base, tuple(found), partitions)


def inspect_files(listing: Listing, format: str, *, threads: int = 16) -> list[FileInfo]:
    """Read every file's footer (or inferred schema) on the driver, in parallel.

    Raises :class:`InputFileError` naming the first file that is empty, corrupt or not
    in ``format``.
    """
    types = partition_types(listing.partitions)

    def one(item: tuple[str, int]) -> FileInfo:
        path, size = item
        schema, groups = _read_schema(listing.source.fs, path, size, format)
        raw = listing.partitions.get(path, ())
        typed = tuple((key, typed_value(value, types[key])) for key, value in raw)
        return FileInfo(path, listing.relative(path), size, schema, groups, typed)

    if not listing.files:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(listing.files)))) as pool:
        return list(pool.map(one, listing.files))


def cut(
    files: Sequence[FileInfo],
    *,
    cores: int,
    max_task_bytes: int | None = None,
    output_suffix: str = ".parquet",
) -> tuple[list[Fragment], list[list[int]]]:
    """Cut files into fragments and pack them into tasks that keep ``cores`` busy.

    The task count is a multiple of ``cores`` (one wave when the input allows), and no
    task is planned above ``max_task_bytes`` (default :data:`MAX_TASK_BYTES`) of
    uncompressed data unless one row group is bigger. A Parquet file splits only at
    row-group boundaries; other formats are never split.

    Examples
    --------
    >>> fragments, tasks = cut(files, cores=2)  # doctest: +SKIP
    >>> len(tasks) % 2 == 0                     # doctest: +SKIP
    True
    """
    cores = max(1, int(cores))
    max_task_bytes = max_task_bytes or MAX_TASK_BYTES
    total = sum(info.bytes for info in files)
    waves = max(1, math.ceil(total / (cores * max_task_bytes)))
    target = max(1.0, total / (cores * waves))
    fragments: list[Fragment] = []
    for number, info in enumerate(files):
        for groups in _slices(info, target):
            fragments.append(_fragment(len(fragments), number, info, groups, output_suffix))
    _check_unique_outputs(fragments, files)
    count = min(cores * waves, len(fragments))
    loads = [0] * count
    tasks: list[list[int]] = [[] for _ in range(count)]
    for fragment in sorted(fragments, key=lambda f: (-f.bytes, f.index)):  # largest first
        slot = loads.index(min(loads))
        tasks[slot].append(fragment.index)
        loads[slot] += max(fragment.bytes, 1)
    return fragments, [sorted(task) for task in tasks if task]


# -- internals ----------------------------------------------------------------------------


def _slices(info: FileInfo, target: float) -> list[tuple[int, ...] | None]:
    """Row-group ranges of about ``target`` bytes; ``[None]`` for the whole file."""
    groups = info.row_groups
    if not groups or info.bytes <= target:
        return [None]
    slices: list[tuple[int, ...] | None] = []
    current: list[int] = []
    size = 0
    for number, (_, nbytes) in enumerate(groups):
        if current and size + nbytes > target:
            slices.append(tuple(current))
            current, size = [], 0
        current.append(number)
        size += nbytes
    slices.append(tuple(current))
    return [None] if len(slices) == 1 else slices


def _fragment(
    index: int, number: int, info: FileInfo, groups: tuple[int, ...] | None, suffix: str
) -> Fragment:
    directory, name = posixpath.split(info.relative)
    stem = name[: -len(".parquet")] if name.endswith(".parquet") else posixpath.splitext(name)[0]
    if groups is None:
        rows, nbytes = info.rows, info.bytes
        out = name if name.endswith(suffix) else stem + suffix
    else:
        row_groups = info.row_groups
        assert row_groups is not None  # _slices gives row groups only for a parquet file
        rows = sum(row_groups[g][0] for g in groups)
        nbytes = sum(row_groups[g][1] for g in groups)
        out = f"{stem}-rg{groups[0]:05d}-{groups[-1]:05d}{suffix}"
    return Fragment(index, number, groups, rows, nbytes, posixpath.join(directory, out))


def _check_unique_outputs(fragments: list[Fragment], files: Sequence[FileInfo]) -> None:
    seen: dict[str, int] = {}
    for fragment in fragments:
        other = seen.setdefault(fragment.output, fragment.file)
        if other != fragment.file:
            raise InputFileError(
                f"{files[other].path} and {files[fragment.file].path} would both be written as "
                f"{fragment.output!r} (only the extension differs). Rename one of them."
            )


def _read_schema(fs: Any, path: str, size: int, format: str) -> tuple[Any, Any]:
    if size == 0:
        raise InputFileError(
            f"{path} is empty (0 bytes), so it is not a {format} file. Remove it or re-write it."
        )
    try:
        if format == "parquet":
            import pyarrow.parquet as pq

            with fs.open_input_file(path) as handle:
                parquet = pq.ParquetFile(handle)
                meta, schema = parquet.metadata, parquet.schema_arrow  # as the tasks will read it
                groups = tuple(
                    (meta.row_group(i).num_rows, meta.row_group(i).total_byte_size)
                    for i in range(meta.num_row_groups)
                )
            return schema.remove_metadata(), groups
        import pyarrow.dataset as ds

        return ds.dataset(path, format=format, filesystem=fs).schema.remove_metadata(), None
    except InputFileError:
        raise
    except Exception as exc:
        raise InputFileError(
            f"{path} is not a readable {format} file ({first_line(exc)}). Remove or replace it, "
            "or pass format=... if it is another format."
        ) from None


def _no_match(source: Location, base: str, what: str, why: str) -> InputFileError:
    return InputFileError(
        f"No {what} matches {source.uri!r}: {why} (files and directories starting with "
        "'_' or '.' are skipped). Check the path and the pattern for typos."
    )


def _hidden(name: str) -> bool:
    return name.startswith(".") or (name.startswith("_") and "=" not in name)


def _glob_match(parts: list[str], pattern: list[str]) -> bool:
    """Match path parts against glob parts; ``**`` spans directories; a matched directory
    matches every file below it."""
    from fnmatch import fnmatchcase

    if not pattern:
        return True
    if pattern[0] == "**":
        return any(_glob_match(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    if not parts:
        return False
    return fnmatchcase(parts[0], pattern[0]) and _glob_match(parts[1:], pattern[1:])
