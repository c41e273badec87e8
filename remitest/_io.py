"""The package's one atomic writer: write beside the target, then move it into place.

A temporary file is created in the target's folder and moved onto the target with
``os.replace``, which is atomic within one file system: a reader sees the old file or the new
one, never a half-written one, and a failed write leaves no temporary file behind. Every file the
package writes (run folders, checks folders, ledgers, figures) goes through here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_open", "atomic_write", "write_text", "sha256_file", "temporary_beside"]


def temporary_beside(path: Path) -> Path:
    """Create a new, empty, hidden file in ``path``'s folder, with the usual permissions."""
    path = Path(path)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            tmp.open("x").close()
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"cannot create a temporary file beside {str(path)!r}")


@contextlib.contextmanager
def atomic_open(path: Path) -> Iterator[IO[str]]:
    """Open a temporary text file beside ``path``; on success move it onto ``path``, else delete it.

    The file is UTF-8 with newlines written as given.
    """
    path = Path(path)
    tmp = temporary_beside(path)
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, write: Callable[[str], Any]) -> str:
    """Let ``write(tmp_path)`` write a temporary file, then move it onto ``path``.

    Returns
    -------
    str
        The SHA-256 (hex) of the file written.
    """
    path = Path(path)
    tmp = temporary_beside(path)
    try:
        write(str(tmp))
        digest = sha256_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest


def write_text(text: str, path: Path) -> str:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically; its SHA-256."""
    with atomic_open(path) as handle:
        handle.write(text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
