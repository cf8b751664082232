"""The DVC model store: ``models/`` tracked by ``models.dvc``, remote on S3 or a local folder.

A promotion writes the new versions, updates ``registry.json``, runs ``dvc add models`` and
``dvc push`` (bounded retries), and only then commits ``models.dvc`` with git, so ``git log
models.dvc`` is the version history and ``dvc pull`` in a clean clone returns the champions.
If anything fails before the commit, ``registry.json``, the champion files and ``models.dvc``
are restored byte for byte and the new version folders removed: no half-written version.

The repository root is an argument (default: the parent of the models folder), so tests run
in temporary git repositories. DVC is driven through :class:`dvc.repo.Repo` (3.x API); git
through ``subprocess`` (``Repo.add`` does not stage the ``.dvc`` file).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aegis.config import Settings
from aegis.errors import ModelStoreError, RemoteUnavailableError
from aegis.registry.artifacts import MANIFEST_FILE, MODEL_FILE, REGISTRY_FILE

T = TypeVar("T")


@dataclass(frozen=True)
class StoreConfig:
    """Where the store lives and how to reach its remote.

    Attributes
    ----------
    repo_root : git (and DVC) repository root.  models_dir : the tracked folder inside it.
    remote_url : ``s3://bucket/prefix`` or a local folder.  endpoint_url : S3 endpoint.
    retries : attempts for each remote operation.  backoff_s : first wait, doubled per retry.
    commit : commit ``models.dvc`` after a push.
    """

    repo_root: Path
    models_dir: Path
    remote_url: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str = "us-east-1"
    commit: bool = True
    retries: int = 3
    backoff_s: float = 0.5
    remote_name: str = "aegis"

    @classmethod
    def from_settings(cls, settings: Settings, repo_root: Path | None = None) -> StoreConfig:
        models_dir = settings.resolved_models_dir.resolve()
        secret = settings.s3_secret_access_key
        key = settings.s3_access_key_id
        return cls(
            repo_root=(repo_root or models_dir.parent).resolve(),
            models_dir=models_dir,
            remote_url=settings.resolved_dvc_remote,
            endpoint_url=settings.s3_endpoint_url,
            access_key_id=key.get_secret_value() if key else None,
            secret_access_key=secret.get_secret_value() if secret else None,
            region=settings.s3_region,
            commit=settings.git_commit_models,
        )

    @property
    def is_s3(self) -> bool:
        return self.remote_url.startswith("s3://")

    @property
    def dvc_file(self) -> Path:
        return self.models_dir.with_name(self.models_dir.name + ".dvc")


def _retry(cfg: StoreConfig, what: str, op: Callable[[], T]) -> T:
    """Run ``op`` up to ``cfg.retries`` times; then raise :class:`RemoteUnavailableError`."""
    from dvc.exceptions import DvcException

    last: BaseException | None = None
    for attempt in range(cfg.retries):
        try:
            return op()
        except (DvcException, OSError, RemoteUnavailableError) as exc:
            last = exc
            if attempt + 1 < cfg.retries:
                time.sleep(cfg.backoff_s * 2**attempt)
    where = cfg.endpoint_url or cfg.remote_url
    raise RemoteUnavailableError(
        f"{what} {cfg.remote_url} (endpoint {where}) failed after {cfg.retries} attempts: "
        f"{type(last).__name__}: {last}"
    ) from last


def _git(cfg: StoreConfig, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cfg.repo_root, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise ModelStoreError(f"git {' '.join(args)} in {cfg.repo_root} failed: "
                              f"{result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def _is_git(cfg: StoreConfig) -> bool:
    return (cfg.repo_root / ".git").exists()


def ensure_repo(cfg: StoreConfig) -> Any:
    """Open (``dvc init`` if needed) the DVC repo and configure the default remote.

    The remote URL and endpoint go to ``.dvc/config`` (committed); credentials only to
    ``.dvc/config.local`` (never committed).
    """
    from dvc.repo import Repo

    if not cfg.models_dir.is_relative_to(cfg.repo_root):
        raise ModelStoreError(f"models folder {cfg.models_dir} is not inside {cfg.repo_root}")
    if not (cfg.repo_root / ".dvc").exists():
        Repo.init(str(cfg.repo_root), no_scm=not _is_git(cfg))
    repo = Repo(str(cfg.repo_root))
    with repo.config.edit("repo") as conf:
        remote: dict[str, Any] = {"url": cfg.remote_url}
        if cfg.is_s3:
            remote.update(region=cfg.region, connect_timeout=3, read_timeout=10)
            if cfg.endpoint_url:
                remote["endpointurl"] = cfg.endpoint_url
        conf["remote"][cfg.remote_name] = remote
        conf["core"]["remote"] = cfg.remote_name
        conf["core"]["analytics"] = False
    if cfg.is_s3 and cfg.access_key_id and cfg.secret_access_key:
        with repo.config.edit("local") as conf:
            conf["remote"][cfg.remote_name] = {
                "access_key_id": cfg.access_key_id,
                "secret_access_key": cfg.secret_access_key,
            }
    return repo


def _s3_client(cfg: StoreConfig) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=cfg.endpoint_url,
        aws_access_key_id=cfg.access_key_id,
        aws_secret_access_key=cfg.secret_access_key,
        region_name=cfg.region,
        config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 1}),
    )


def ensure_remote(cfg: StoreConfig) -> None:
    """Check the remote answers (S3: create the bucket if missing; local: create the folder)."""
    if not cfg.is_s3:
        Path(cfg.remote_url).mkdir(parents=True, exist_ok=True)
        return
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = cfg.remote_url[len("s3://"):].split("/", 1)[0]

    def check() -> None:
        client = _s3_client(cfg)
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise RemoteUnavailableError(f"bucket {bucket}: {exc}") from exc
            client.create_bucket(Bucket=bucket)
        except BotoCoreError as exc:
            raise RemoteUnavailableError(f"bucket {bucket}: {exc}") from exc

    _retry(cfg, "reaching", check)


def push(cfg: StoreConfig) -> None:
    """``dvc add`` the models folder and ``dvc push`` it (bounded retries)."""
    ensure_remote(cfg)
    repo = ensure_repo(cfg)
    repo.scm_context.quiet = True  # we stage and commit models.dvc ourselves
    repo.add(str(cfg.models_dir))
    _retry(cfg, "dvc push to", lambda: repo.push(remote=cfg.remote_name))


def commit_models_dvc(cfg: StoreConfig, message: str) -> str | None:
    """Commit ``models.dvc`` (and the DVC config/ignore files); returns the commit id or None."""
    if not cfg.commit or not _is_git(cfg):
        return None
    paths = [p for p in (cfg.dvc_file, cfg.repo_root / ".gitignore",
                         cfg.models_dir.parent / ".gitignore", cfg.repo_root / ".dvc" / "config",
                         cfg.repo_root / ".dvc" / ".gitignore", cfg.repo_root / ".dvcignore")
             if p.exists()]
    rel = sorted({str(p.relative_to(cfg.repo_root)) for p in paths})
    _git(cfg, "add", "--", *rel)
    staged = subprocess.run(["git", "diff", "--cached", "--quiet", "--", *rel],
                            cwd=cfg.repo_root, check=False)
    if staged.returncode == 0:
        return None
    _git(cfg, "commit", "-q", "-m", message, "--", *rel)
    return _git(cfg, "rev-parse", "HEAD").strip()


def pull(cfg: StoreConfig) -> None:
    """``dvc pull`` the models folder from the remote (bounded retries)."""
    if not cfg.dvc_file.exists():
        raise ModelStoreError(f"{cfg.dvc_file}: not found; nothing has been pushed yet")
    ensure_remote(cfg)
    repo = ensure_repo(cfg)
    _retry(cfg, "dvc pull from",
           lambda: repo.pull(targets=[str(cfg.dvc_file)], remote=cfg.remote_name, force=True))


class _Snapshot:
    """Bytes of the files a promotion may change, to restore them if it fails."""

    def __init__(self, cfg: StoreConfig, names: list[str]) -> None:
        self.cfg = cfg
        files = [cfg.models_dir / REGISTRY_FILE, cfg.dvc_file]
        for name in names:
            files += [cfg.models_dir / name / MODEL_FILE, cfg.models_dir / name / MANIFEST_FILE]
        self.saved = {f: (f.read_bytes() if f.exists() else None) for f in files}
        self.versions = {name: self._versions(name) for name in names}

    def _versions(self, name: str) -> set[str]:
        folder = self.cfg.models_dir / name / "versions"
        return {p.name for p in folder.iterdir()} if folder.exists() else set()

    def restore(self) -> None:
        for path, data in self.saved.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)
        for name, before in self.versions.items():
            for extra in self._versions(name) - before:
                shutil.rmtree(self.cfg.models_dir / name / "versions" / extra)


def transaction(cfg: StoreConfig, names: list[str], change: Callable[[], str]) -> str | None:
    """Apply ``change`` (returns the commit message), push, commit; restore all on failure."""
    ensure_remote(cfg)  # fail before touching anything when the remote is down
    snapshot = _Snapshot(cfg, names)
    try:
        message = change()
        push(cfg)
    except BaseException:
        snapshot.restore()
        raise
    return commit_models_dvc(cfg, message)
