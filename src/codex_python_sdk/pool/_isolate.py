"""Private working copies for isolated tasks: a ``git worktree`` inside a repository, a copy elsewhere.

Blocking (git, file copies): the pool runs these functions in a thread. A worktree holds the repository's
``HEAD`` as committed (uncommitted changes are not in it); a copy holds the directory as it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import CodexAgenticError

__all__ = ["WorkingCopy", "make_working_copy", "remove_working_copy"]

logger = logging.getLogger("codex_python_sdk.pool")

_GIT_TIMEOUT = 120.0  # a checkout of a large repository takes a while; a hung git must not hang the pool


@dataclasses.dataclass(frozen=True)
class WorkingCopy:
    """A private copy: ``cwd`` is where the task runs (inside ``root``); ``repo`` is set for a worktree."""

    root: Path
    cwd: Path
    temp: Path
    repo: Path | None = None


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=_GIT_TIMEOUT, check=False
    )


def _repo_top(source: Path) -> Path | None:
    """The top of the git work tree ``source`` is in, or None (not a repository, or no git)."""
    try:
        proc = _git(["rev-parse", "--show-toplevel"], source)
    except (OSError, subprocess.TimeoutExpired):
        return None
    top = proc.stdout.strip()
    return Path(top) if proc.returncode == 0 and top else None


def make_working_copy(source: str | os.PathLike[str], index: int) -> WorkingCopy:
    """A private copy of ``source`` for task ``index``: a detached worktree of its repository's HEAD when
    ``source`` is inside a git work tree, else a copy of the directory (symlinks kept as links)."""
    src = Path(source).resolve()
    if not src.is_dir():
        raise CodexAgenticError(f"cannot isolate task {index}: {src} is not a directory")
    temp = Path(tempfile.mkdtemp(prefix=f"codex-pool-{index}-"))
    try:
        top = _repo_top(src)
        if top is not None:
            root = temp / top.name
            proc = _git(["worktree", "add", "--detach", "--quiet", str(root), "HEAD"], top)
            if proc.returncode != 0:
                raise CodexAgenticError(
                    f"cannot isolate task {index}: git worktree add failed: {proc.stderr.strip()[-500:]}"
                )
            return WorkingCopy(root, root / src.relative_to(top), temp, top)
        root = temp / (src.name or "workspace")
        shutil.copytree(src, root, symlinks=True)
        return WorkingCopy(root, root, temp)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def remove_working_copy(copy: WorkingCopy) -> None:
    """Remove a working copy (and its worktree registration); never raises."""
    removed = True
    if copy.repo is not None:
        try:
            proc = _git(["worktree", "remove", "--force", str(copy.root)], copy.repo)
            removed = proc.returncode == 0
            detail = proc.stderr.strip()[-300:]
        except (OSError, subprocess.TimeoutExpired) as exc:
            removed, detail = False, str(exc)
        if not removed:
            logger.warning("git worktree remove %s failed: %s", copy.root, detail)
    shutil.rmtree(copy.temp, ignore_errors=True)
    if not removed and copy.repo is not None:
        # The directory is gone now; drop git's record of it too.
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            _git(["worktree", "prune"], copy.repo)
