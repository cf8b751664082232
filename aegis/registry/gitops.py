"""git for the model store: commit the promotion, push it to the configured git remote.

Only ``subprocess`` and the ``git`` command: ``Repo.add`` of DVC does not stage the ``.dvc``
file, and the promotion commit must hold exactly ``models.dvc`` and the metrics files, never
whatever else is staged in the checkout (``git commit -- paths``).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aegis.errors import ModelStoreError

#: git reads the password from this helper, which reads it from the environment: the secret
#: never appears in argv, in ``.git/config`` or in a log line.
_CREDENTIAL_HELPER = "!f() { echo username=\"$AEGIS_GIT_USERNAME\"; " \
                     "echo password=\"$AEGIS_GIT_PASSWORD\"; }; f"


def run(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """``git args`` in ``repo``; raises :class:`ModelStoreError` with git's own message."""
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                            check=False, env={**os.environ, "GIT_TERMINAL_PROMPT": "0",
                                              **(env or {})})
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise ModelStoreError(f"git {args[0]} in {repo} failed: "
                              f"{' / '.join(detail[-3:]) or f'exit {result.returncode}'}")
    return result.stdout


def commit(repo: Path, paths: list[Path], message: str) -> str | None:
    """Stage and commit ``paths`` (those that exist or were deleted); the id, or None if no
    change."""
    rel = sorted({str(p.relative_to(repo)) for p in paths
                  if p.is_relative_to(repo) and (p.exists() or _tracked(repo, p))})
    if not rel:
        return None
    run(repo, "add", "-A", "--", *rel)
    staged = subprocess.run(["git", "diff", "--cached", "--quiet", "--", *rel], cwd=repo,
                            check=False)
    if staged.returncode == 0:
        return None
    run(repo, "commit", "-q", "-m", message, "--", *rel)
    return run(repo, "rev-parse", "HEAD").strip()


def _tracked(repo: Path, path: Path) -> bool:
    out = subprocess.run(["git", "ls-files", "--error-unmatch", "--", str(path)], cwd=repo,
                         capture_output=True, check=False)
    return out.returncode == 0


@dataclass(frozen=True)
class GitRemote:
    """Where promotion commits go: URL (or a remote name such as ``origin``), credentials and
    branch (``None``: the checked-out branch)."""

    url: str
    username: str | None = None
    password: str | None = None
    branch: str | None = None


def push_commits(repo: Path, remote: GitRemote) -> dict[str, str]:
    """Push the checked-out branch's commits to ``remote``; returns what was pushed where."""
    branch = remote.branch or run(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    head = run(repo, "rev-parse", "HEAD").strip()
    args = ["push", remote.url, f"HEAD:refs/heads/{branch}"]
    env: dict[str, str] = {}
    if remote.password:
        args = ["-c", "credential.helper=", "-c", f"credential.helper={_CREDENTIAL_HELPER}",
                *args]
        env = {"AEGIS_GIT_USERNAME": remote.username or "git",
               "AEGIS_GIT_PASSWORD": remote.password}
    run(repo, *args, env=env)
    return {"remote": _redact(remote.url), "branch": branch, "commit": head}


def _redact(url: str) -> str:
    """A URL without any ``user:password@`` part."""
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return url
