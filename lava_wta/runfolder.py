"""Run-folder integrity: strict JSON/YAML, atomic writes, a lock and a checksum manifest.

* **Strict formats.** :func:`loads_json` and :func:`load_yaml` refuse duplicate keys (a
  mapping that names a field twice has no single meaning) and JSON's non-standard
  ``NaN``/``Infinity``; :func:`dumps_json` refuses to write them.
* **Atomic writes.** :func:`write_atomic` writes to a uniquely named temporary file in the
  same folder, flushes it to disk, then renames it over the target: a reader (or a
  killed writer) sees the old file or the new one, never a mixture, and two writers never
  share a temporary file.
* **Lock.** :class:`RunFolderLock` holds an exclusive ``flock`` on ``<folder>/.lock``
  while a process works in the folder; a second process is refused at once with the
  holder's pid and host. The operating system releases the lock when its holder exits,
  so a killed run leaves no stale lock.
* **Manifest.** :class:`Manifest` keeps the SHA-256 of each file the pipeline writes
  (``manifest.json``) and verifies it before the file is used. A file is recorded as
  *pending* (old and new digest) before it is replaced, so an interruption between the
  two steps is not mistaken for damage.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import socket
import tempfile
import typing as ty
from pathlib import Path

from lava_wta.errors import ConfigError, RunFolderError

LOCK_FILE = ".lock"
MANIFEST_FILE = "manifest.json"
REPLACING = "replacing"
"""A manifest entry's mark for a file being replaced in place (see :meth:`Manifest.begin`)."""
ABSENT = "absent"
"""A manifest entry's mark for a file being written where none was: until the write
completes, the file may be missing (its writer was killed before the rename)."""


# ---------------------------------------------------------------------- strict JSON / YAML
def _no_duplicates(source: str, error: type):
    def hook(pairs: ty.List[ty.Tuple[str, ty.Any]]) -> dict:
        out: dict = {}
        for key, value in pairs:
            if key in out:
                raise error(f"{source}: key {key!r} appears twice in one object (expected each key once)")
            out[key] = value
        return out
    return hook


def loads_json(text: str, source: str = "JSON", error: type = ConfigError) -> ty.Any:
    """Parse strict JSON: no duplicate keys, no NaN/Infinity. Errors are ``error``\\ s
    naming ``source``."""
    def constant(name: str) -> ty.Any:
        raise error(f"{source}: {name} is not a JSON number (expected finite numbers)")

    try:
        return json.loads(text, object_pairs_hook=_no_duplicates(source, error), parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: not valid JSON ({exc})") from None


def read_structured(path: ty.Union[str, Path], error: type = ConfigError, *, what: str = "file",
                    fmt: ty.Optional[str] = None, expect: ty.Optional[type] = None) -> ty.Any:
    """Strict JSON or YAML (``fmt`` ``"json"`` or ``"yaml"``; None: YAML for a ``.yaml`` /
    ``.yml`` suffix, JSON otherwise) from ``path``, of type ``expect`` at the top level if
    given. Every failure (unreadable, not UTF-8, not valid, duplicate keys, non-finite
    numbers, another top-level type) is an ``error`` naming ``path`` and ``what`` it holds."""
    path = Path(path)
    if fmt is None:
        fmt = "yaml" if path.suffix in (".yaml", ".yml") else "json"
    kind = fmt.upper() if fmt == "json" else "YAML"
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise error(f"{path}: expected {what} as {kind} text, found bytes that are not UTF-8") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    data = load_yaml(text, str(path), error) if fmt == "yaml" else loads_json(text, str(path), error)
    if expect is not None and not isinstance(data, expect):
        shape = {dict: "object" if fmt == "json" else "mapping", list: "list"}.get(expect, expect.__name__)
        raise error(f"{path}: expected a {kind} {shape} at the top level, found {type(data).__name__}")
    return data


def read_json(path: ty.Union[str, Path], error: type = RunFolderError, *,
              expect: ty.Optional[type] = dict) -> ty.Any:
    """Strict JSON from ``path`` (of type ``expect`` at the top level, if given;
    :func:`read_structured`)."""
    return read_structured(path, error, what="JSON file", fmt="json", expect=expect)


def dumps_json(data: ty.Any, source: str = "JSON") -> str:
    """Serialise ``data`` as indented strict JSON (a NaN or infinity is an error naming
    where it sits)."""
    bad = _non_finite(data)
    if bad is not None:
        raise ValueError(f"{source}: {bad} is not finite; strict JSON has no NaN or Infinity")
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _non_finite(data: ty.Any, where: str = "value") -> ty.Optional[str]:
    if isinstance(data, float) and not math.isfinite(data):
        return f"{where} = {data}"
    if isinstance(data, dict):
        for k, v in data.items():
            found = _non_finite(v, f"{where}.{k}" if where != "value" else str(k))
            if found:
                return found
    if isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            found = _non_finite(v, f"{where}[{i}]")
            if found:
                return found
    return None


def load_yaml(text: str, source: str = "YAML", error: type = ConfigError) -> ty.Any:
    """Parse YAML with the safe loader, refusing duplicate keys in a mapping."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        loader.flatten_mapping(node)
        seen: dict = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise error(f"{source}, line {key_node.start_mark.line + 1}: a mapping key must be a "
                            f"scalar, found {type(key).__name__}") from None
            if key in seen:
                raise error(f"{source}, line {key_node.start_mark.line + 1}: key {key!r} appears twice "
                            f"in one mapping (first on line {seen[key]}); expected each key once")
            seen[key] = key_node.start_mark.line + 1
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise error(f"{source}: YAML nested too deeply") from None


# ---------------------------------------------------------------------- atomic writes
def write_atomic(path: ty.Union[str, Path], data: ty.Union[bytes, str]) -> Path:
    """Write ``data`` to ``path`` through a uniquely named temporary file and a rename."""
    path = Path(path)
    blob = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_json_atomic(path: ty.Union[str, Path], data: ty.Any) -> Path:
    """Strict JSON (see :func:`dumps_json`), written with :func:`write_atomic`."""
    return write_atomic(path, dumps_json(data, str(path)))


TEMPORARY_PATTERNS = (".*.tmp", "*.tmp.npz")
"""Names of the temporary files a writer renames into place (:func:`write_atomic`, a
checkpoint, a staged archive); one left in a folder is the remnant of a killed writer."""


def remove_stale_temporaries(folder: ty.Union[str, Path]) -> ty.List[str]:
    """Delete the temporary files (:data:`TEMPORARY_PATTERNS`) killed writers left in
    ``folder``; call it holding the folder's :class:`RunFolderLock` (then no live writer
    owns one). Returns the names removed."""
    folder = Path(folder)
    removed = []
    for pattern in TEMPORARY_PATTERNS:
        for path in folder.glob(pattern):
            if path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path.name)
    return sorted(removed)


def sha256_file(path: ty.Union[str, Path]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------- the folder itself
def prepare_folder(path: ty.Union[str, Path], flag: str = "--out") -> Path:
    """Create ``path`` (and parents) as a writable folder, or raise :class:`RunFolderError`
    saying why it cannot be one."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        kind = "a file" if path.is_file() else "not a folder"
        raise RunFolderError(f"{flag} {path}: expected a folder, found {kind}")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise RunFolderError(f"{flag} {path}: expected a folder path, but {parent} is a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"{flag} {path}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise RunFolderError(f"{flag} {path}: expected a writable folder, found no write permission")
    return path


class RunFolderLock:
    """An exclusive lock on a run folder (``with RunFolderLock(folder): ...``); with
    ``wait``, a second holder waits instead of being refused."""

    def __init__(self, folder: ty.Union[str, Path], wait: bool = False) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.wait = wait          # wait for the holder instead of refusing (shared caches)
        self._fd: ty.Optional[int] = None

    def acquire(self) -> "RunFolderLock":
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunFolderError(f"{self.path}: cannot create the lock file ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if self.wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "an unknown process"
            os.close(fd)
            raise RunFolderError(f"{self.folder}: in use by {holder} (lock {self.path}); wait for it to "
                                 f"finish or choose another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on host {socket.gethostname()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "RunFolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


class Manifest:
    """SHA-256 digests of a run folder's files (``manifest.json``), written and verified
    by the pipeline. A file the manifest does not list is not checked."""

    def __init__(self, folder: ty.Union[str, Path]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / MANIFEST_FILE
        self.files: ty.Dict[str, ty.List[str]] = {}
        self.notes: ty.Dict[str, ty.Any] = {}
        """Other facts about the folder (e.g. the configuration it was trained with)."""
        if self.path.exists():
            data = read_json(self.path)
            self.notes = {k: v for k, v in data.items() if k != "files"}
            files = data.get("files")
            if not isinstance(files, dict) or not all(
                    isinstance(v, list) and all(isinstance(d, str) for d in v) for v in files.values()):
                raise RunFolderError(f"{self.path}: expected {{\"files\": {{name: [sha256, ...]}}}}, "
                                     f"found {str(data)[:200]}")
            self.files = files

    def _save(self) -> None:
        write_json_atomic(self.path, {"files": self.files, **self.notes})

    def note(self, key: str, value: ty.Any) -> None:
        """Record ``value`` (JSON) under ``key`` beside the digests."""
        self.notes[key] = value
        self._save()

    def write(self, name: str, data: ty.Union[bytes, str]) -> Path:
        """Write the file ``name`` atomically and record its digest."""
        blob = data.encode() if isinstance(data, str) else data
        new = hashlib.sha256(blob).hexdigest()
        self.files[name] = self._before(name) + [new]   # pending: either version is valid
        self._save()
        write_atomic(self.folder / name, blob)
        self.files[name] = [new]
        self._save()
        return self.folder / name

    def adopt(self, name: str, staged: ty.Union[str, Path]) -> Path:
        """Rename the finished file ``staged`` (in this folder) to ``name``, recording its
        digest as :meth:`write` does."""
        new = sha256_file(staged)
        self.files[name] = self._before(name) + [new]
        self._save()
        os.replace(staged, self.folder / name)
        self.files[name] = [new]
        self._save()
        return self.folder / name

    def _before(self, name: str) -> ty.List[str]:
        """The entry of ``name``'s present version: its digest, or :data:`ABSENT`."""
        if not (self.folder / name).exists():
            return [ABSENT]
        return [d for d in self.files.get(name, []) if d not in (REPLACING, ABSENT)][-1:]

    def begin(self, name: str) -> None:
        """Mark ``name`` as being replaced in place by another writer: until
        :meth:`record` runs, :meth:`verify` accepts it (the file must then carry its own
        integrity check, as the zip checksums of an ``.npz`` do)."""
        self.files[name] = self._before(name) + [REPLACING]
        self._save()

    def record(self, name: str) -> None:
        """Record the digest of a file another writer has just written."""
        self.files[name] = [sha256_file(self.folder / name)]
        self._save()

    def forget(self, name: str) -> None:
        """Delete the file ``name`` (if present) and its record."""
        if name in self.files:
            del self.files[name]
            self._save()
        (self.folder / name).unlink(missing_ok=True)

    def verify(self, name: str) -> Path:
        """``folder/name`` after checking it against its recorded digest."""
        path = self.folder / name
        if name not in self.files:
            return path
        if not path.is_file():
            if ABSENT in self.files[name]:     # its first write was interrupted
                return path
            raise RunFolderError(f"{path}: listed in {self.path} but missing")
        if REPLACING in self.files[name]:
            return path
        got = sha256_file(path)
        if got not in self.files[name]:
            raise RunFolderError(f"{path}: damaged or changed outside lava-wta (SHA-256 {got[:16]}..., "
                                 f"{self.path} records {self.files[name][-1][:16]}...); restore it or "
                                 f"delete the run folder")
        return path

    def verify_all(self) -> None:
        for name in list(self.files):
            self.verify(name)


def npz_bytes(**arrays) -> bytes:
    """An ``.npz`` archive of ``arrays`` as bytes (for :meth:`Manifest.write`)."""
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()
