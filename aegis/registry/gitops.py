"""git for the model store: commit a promotion, tag it the GTO way, push it to the git remote.

Only ``subprocess`` and the ``git`` command: ``Repo.add`` of DVC does not stage the ``.dvc``
file, and the promotion commit must hold exactly ``models.dvc`` and the metrics files, never
whatever else is staged in the checkout (``git commit -- paths``).
"""

from __future__ import annotations

import os
import re
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
    """Push the checked-out branch's commits and their GTO tags to ``remote``; returns what was
    pushed where."""
    branch = remote.branch or run(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    head = run(repo, "rev-parse", "HEAD").strip()
    args = ["push", "--follow-tags", remote.url, f"HEAD:refs/heads/{branch}"]
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


#: The stage every champion is assigned to (GTO's ``name#prod#N`` tags).
STAGE = "prod"


def _semver_tags(tags: list[str], name: str) -> list[tuple[int, int, int]]:
    out = []
    for tag in tags:
        match = re.fullmatch(rf"{re.escape(name)}@v(\d+)\.(\d+)\.(\d+)", tag)
        if match:
            out.append((int(match[1]), int(match[2]), int(match[3])))
    return out


def tag_promotion(repo: Path, commit: str, versions: dict[str, str], message: str) -> list[str]:
    """GTO tags for a promotion commit: register each model's new version, assign it ``prod``.

    The tags follow GTO's conventions (``trap@v0.0.3`` registers, ``trap#prod#3`` assigns), so
    ``gto show`` / ``gto history trap`` list the promotions and ``dvc artifacts get . trap
    --stage prod`` fetches the champion. Idempotent: a model whose assignment already points at
    ``commit`` is skipped (a recovery re-running this step). Returns the tags created.
    """
    tags = run(repo, "tag", "--list").split()
    pointing = set(run(repo, "tag", "--points-at", commit).split())
    made: list[str] = []
    for name, version in versions.items():
        if any(t.startswith(f"{name}#{STAGE}#") for t in pointing):
            continue
        registered = [t for t in pointing if _semver_tags([t], name)]
        if registered:
            reg = registered[0]
        else:
            major, minor, patch = max(_semver_tags(tags, name), default=(0, 0, 0))
            reg = f"{name}@v{major}.{minor}.{patch + 1}"
            run(repo, "tag", "-a", reg, commit, "-m",
                f"Registering artifact {name} version {reg.split('@')[1]} ({version})")
            made.append(reg)
        numbers = [int(t.rsplit("#", 1)[1]) for t in tags
                   if t.startswith(f"{name}#{STAGE}#") and t.rsplit("#", 1)[1].isdigit()]
        assign = f"{name}#{STAGE}#{max(numbers, default=0) + 1}"
        run(repo, "tag", "-a", assign, commit, "-m", f"{message}: {name} {version}")
        made.append(assign)
    return made
