"""Writing the output folder atomically: all of it, or nothing.

Files go to a temporary folder beside OUTDIR (same filesystem), which is renamed into place
at the end; a failed or interrupted run leaves no half-written OUTDIR.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from listprep.errors import OutputError


def write_outputs(
    outdir: str | os.PathLike[str], files: Mapping[str, bytes], *, force: bool
) -> Path:
    """Write ``files`` (relative POSIX path -> bytes) into ``outdir`` atomically."""
    target = Path(outdir)
    if target.exists() and not target.is_dir():
        raise OutputError("the output path exists and is not a folder", file=str(target))
    if target.is_dir() and any(target.iterdir()) and not force:
        raise OutputError(
            "the output folder is not empty",
            file=str(target),
            hint="choose a new folder, or pass --force to replace it",
        )
    parent = target.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.listprep-tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(
            f"cannot create the output folder: {exc.strerror}", file=str(target)
        ) from None
    try:
        for relative, data in files.items():
            path = staging / _safe(relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.chmod(staging, 0o777 & ~_umask())
        _replace(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write the output: {exc.strerror}", file=str(target)) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _safe(relative: str) -> Path:
    """Refuse any output path that could land outside OUTDIR."""
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts:
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    return Path(*path.parts)


def _replace(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    old = target.with_name(f".{target.name}.listprep-old-{os.getpid()}")
    target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
