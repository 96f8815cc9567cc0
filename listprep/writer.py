"""Writing the output folder atomically: all of it, or nothing.

Files go to a temporary folder beside OUTDIR (same filesystem), which is renamed into place
at the end; a failed or interrupted run leaves no half-written OUTDIR.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from listprep.errors import OutputError

#: The files and folders listprep writes in an output folder: ``--force`` replaces nothing else.
_OWN_FILE = re.compile(
    r"lists/campaign-\d{2,}/list-\d{2,}\.csv|requests/campaign-\d{2,}\.json"
    r"|rejects\.csv|manifest\.json|report\.html"
)
_OWN_FOLDER = re.compile(r"lists|lists/campaign-\d{2,}|requests")


def write_outputs(
    outdir: str | os.PathLike[str],
    files: Mapping[str, bytes],
    *,
    force: bool,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Write ``files`` (relative POSIX path -> bytes) into ``outdir`` atomically."""
    with Staging(outdir, force=force, inputs=inputs) as staging:
        for relative, data in files.items():
            staging.write(relative, data)
    return staging.target


class Staging:
    """A temporary folder beside OUTDIR that becomes OUTDIR when the block ends without error.

    The output folder is checked when the block starts, so a run that cannot write fails
    before its work, not after; on any error the staging folder (personal data) is removed.
    ``inputs`` are the files the run reads: a folder holding one is never replaced.
    """

    def __init__(
        self,
        outdir: str | os.PathLike[str],
        *,
        force: bool,
        inputs: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        self.target = Path(outdir)
        self.force = force
        self.inputs = tuple(inputs)
        self.path = Path()

    def __enter__(self) -> Staging:
        if self.target.is_symlink():  # write where the link points, and keep the link
            self.target = self.target.resolve()
        target = self.target
        if Path.cwd().resolve().is_relative_to(target.resolve()):
            raise OutputError(
                "the output folder is the current folder or holds it: listprep replaces the "
                "whole output folder",
                file=str(target),
                hint="give a new folder for -o, e.g. -o out",
            )
        if target.exists() and not target.is_dir():
            raise OutputError(
                "the output path exists and is not a folder",
                file=str(target),
                hint="give -o (outdir) a folder name: new, empty, or with --force (force=True)",
            )
        if target.is_dir() and any(target.iterdir()):
            if not self.force:
                raise OutputError(
                    "the output folder is not empty",
                    file=str(target),
                    hint="choose a new folder, or pass --force (force=True) to replace it",
                )
            _check_replaceable(target, self.inputs)
        parent = target.absolute().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            _remove_stale_staging(parent, target.name)
            self.path = Path(tempfile.mkdtemp(prefix=_staging_prefix(target.name), dir=parent))
        except OSError as exc:
            raise output_error("cannot create the output folder", exc, target) from None
        return self

    def file(self, relative: str) -> Path:
        """The staging path of an output file (its folder made)."""
        path = self.path / _safe(relative)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise output_error("cannot write the output", exc, self.target) from None
        return path

    def write(self, relative: str, data: bytes) -> None:
        path = self.file(relative)
        with self.writing():
            path.write_bytes(data)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Turn a failed write inside the staging folder into an :class:`OutputError`."""
        try:
            yield
        except OSError as exc:
            raise output_error("cannot write the output", exc, self.target) from None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        try:
            os.chmod(self.path, 0o777 & ~_umask())
            _replace(self.path, self.target)
        except BaseException as exc:  # the staging folder holds personal data: never leave it
            shutil.rmtree(self.path, ignore_errors=True)
            if isinstance(exc, OSError):
                raise output_error("cannot write the output", exc, self.target) from None
            raise


def _check_replaceable(target: Path, inputs: tuple[str | os.PathLike[str], ...]) -> None:
    """``--force`` deletes the old folder: refuse unless it holds only listprep's outputs, and
    none of this run's inputs (a list file given back to listprep lives in ``lists/``)."""
    folder = target.resolve()
    for item in inputs:
        if Path(item).resolve().is_relative_to(folder):
            raise OutputError(
                "the output folder holds an input of this run: --force would delete it",
                file=os.fspath(item),
                hint=f"write to another folder than {target}, or move the input out of it",
            )
    foreign = _foreign(target)
    if foreign:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise OutputError(
            f"the output folder holds files listprep did not write ({shown}): --force replaces "
            "only listprep's own output",
            file=str(target),
            hint="choose a new folder, or move those files out first",
        )


def _foreign(target: Path) -> list[str]:
    """What in ``target`` listprep does not write, at any depth (not following links)."""
    found = []
    for root, folders, files in os.walk(target):
        base = PurePosixPath(Path(root).relative_to(target).as_posix())
        for name in folders:
            if not _OWN_FOLDER.fullmatch(str(base / name)) or Path(root, name).is_symlink():
                found.append(str(base / name) + "/")
        folders[:] = [f for f in folders if str(base / f) + "/" not in found]
        found += [str(base / f) for f in files if not _OWN_FILE.fullmatch(str(base / f))]
    return sorted(found)


_HINTS = {
    errno.ENOSPC: "free some disk space, or write to another folder",
    errno.EFBIG: "the files are larger than this system allows: write to another folder",
    errno.EDQUOT: "your disk quota is full: free some space, or write to another folder",
    errno.EACCES: "you cannot write there: choose a folder you own",
    errno.EPERM: "you cannot write there: choose a folder you own",
    errno.EROFS: "that disk is read-only: choose another folder",
    errno.ENOENT: "that place does not exist or cannot hold folders: choose another folder",
    errno.EEXIST: "a file stands where a folder is needed: choose another path",
    errno.ENOTDIR: "a file stands where a folder is needed: choose another path",
}


def output_error(what: str, exc: OSError, target: Path) -> OutputError:
    hint = _HINTS.get(exc.errno or 0, "choose a folder you can write to")
    return OutputError(f"{what}: {exc.strerror or exc}", file=str(target), hint=hint)


def _staging_prefix(name: str) -> str:
    """Temporary folders name their process, so a later run can remove a killed run's one."""
    return f".{name}.listprep-tmp-{os.getpid()}-"


def _remove_stale_staging(parent: Path, name: str) -> None:
    """Delete staging folders left by runs that were killed (they hold personal data)."""
    for leftover in parent.glob(f".{name}.listprep-tmp-*-*"):
        pid = leftover.name.removeprefix(f".{name}.listprep-tmp-").split("-", 1)[0]
        if pid.isdecimal() and not _alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
