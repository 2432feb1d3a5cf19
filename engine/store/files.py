"""The content-addressed file store for uploads: `root/ab/abcdef…` named by the SHA-256 of the bytes.

It sits outside the web root and is never served by path: files go out only through an authorization check
(engine/usecases/uploads.py). A file is written to a temporary name in its final folder, flushed to disk,
then renamed into place, so a crash leaves either nothing or the whole file, never a partial one. The
caller stores the file before it adds the row that points to it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_HASH = re.compile(r"^[0-9a-f]{64}$")


class FileStore:
    """Files named by their content hash; storing the same bytes twice keeps one copy."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        """Where the file with that hash lives (refuses anything but a hex SHA-256)."""
        if not _HASH.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store the bytes durably; their SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        final = self.path(sha256)
        if final.exists():
            return sha256
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o640)
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _sync_dir(final.parent)
        return sha256

    def read(self, sha256: str) -> bytes:
        """The bytes stored under that hash (FileNotFoundError when missing)."""
        return self.path(sha256).read_bytes()


def _sync_dir(folder: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
