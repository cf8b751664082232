"""The DVC model store: ``models/`` tracked by ``models.dvc``, remote on S3 or a local folder.

The repository's committed ``.dvc/config`` names the default remote (``aegis``: the bucket and
prefix of the settings' defaults, ``s3://aegis-models/dvc``). This module **checks** that
configuration, it never rewrites it: the S3 endpoint and credentials reach DVC in memory
(:class:`dvc.repo.Repo` ``remote_config``) from the settings, or from DVC's own sources (the
environment ``AWS_ENDPOINT_URL`` / ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, or
``dvc remote modify --local``), so ``dvc pull`` / ``dvc push`` on the command line behave
exactly like ``aegis models pull`` / ``push``. Only a folder that is not a DVC repository yet
(the demo's scratch repository, a test's) is initialised, with the settings' remote.

Promotions are journaled (:mod:`aegis.registry.journal`): stage, apply, ``dvc add`` +
``dvc push`` (bounded retries), then the switch is recorded, ``models.dvc`` committed and the
commit tagged the GTO way (``trap@v0.0.3`` + ``trap#prod#3``: ``gto show``, ``gto history``), so
``git log models.dvc`` is the history of promotions and a ``kill -9`` at any step leaves the old
store or the new one. Remote failures become one line naming the operation, the remote URL and
the endpoint (:class:`~aegis.errors.RemoteUnavailableError`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from aegis.atomic import write_text_atomic
from aegis.config import Settings
from aegis.errors import ModelStoreError, RemoteUnavailableError
from aegis.registry import gitops, journal
from aegis.registry.dvcfiles import write_dvc_yaml

T = TypeVar("T")
log = logging.getLogger(__name__)

REMOTE_NAME = "aegis"
#: Settings that, when set explicitly, say which remote the repository must use.
_REMOTE_SETTINGS = frozenset({"dvc_remote_url", "s3_endpoint_url", "s3_bucket", "s3_prefix"})


@dataclass(frozen=True)
class StoreConfig:
    """Where the store lives and how to reach its remote.

    Attributes
    ----------
    repo_root : git (and DVC) repository root.  models_dir : the tracked folder inside it.
    remote_url : the remote the settings expect (``s3://bucket/prefix`` or a folder); ``None``
        accepts the repository's configured default remote.
    endpoint_url, access_key_id, secret_access_key, region : S3 access handed to DVC in
        memory (``None``: DVC's own configuration or the ``AWS_*`` environment decides).
    commit : commit ``models.dvc`` after a push.
    retries : attempts of each remote operation.  backoff_s : first wait, doubled per retry.
    """

    repo_root: Path
    models_dir: Path
    remote_url: str | None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str | None = None
    commit: bool = True
    retries: int = 3
    backoff_s: float = 0.5
    remote_name: str = REMOTE_NAME

    @classmethod
    def from_settings(cls, settings: Settings, repo_root: Path | None = None) -> StoreConfig:
        models_dir = settings.resolved_models_dir.resolve()
        secret, key = settings.s3_secret_access_key, settings.s3_access_key_id
        explicit = bool(_REMOTE_SETTINGS & settings.model_fields_set)
        return cls(
            repo_root=(repo_root or models_dir.parent).resolve(),
            models_dir=models_dir,
            remote_url=settings.resolved_dvc_remote if explicit else None,
            endpoint_url=settings.s3_endpoint_url,
            access_key_id=key.get_secret_value() if key else None,
            secret_access_key=secret.get_secret_value() if secret else None,
            region=settings.s3_region if "s3_region" in settings.model_fields_set else None,
            commit=settings.git_commit_models,
        )

    @property
    def dvc_file(self) -> Path:
        return self.models_dir.with_name(self.models_dir.name + ".dvc")

    @property
    def metrics_dir(self) -> Path:
        """Per-champion metrics files (git-tracked, read by ``dvc metrics show/diff``)."""
        return self.repo_root / "metrics"

    def init_url(self, settings: Settings) -> str:
        """The remote a new repository is initialised with."""
        return self.remote_url or settings.resolved_dvc_remote

    def with_access(self, access: S3Access | None) -> StoreConfig:
        """This config with the S3 access of ``access`` where it gives a value (None: as is)."""
        if access is None:
            return self
        given = {k: v for k, v in vars(access).items() if v is not None}
        return replace(self, **given)


@dataclass(frozen=True)
class S3Access:
    """S3 access to the store's remote handed in by the edge, in memory only.

    The Airflow task builds it from the connection ``aegis_s3`` (login, password, extra
    ``endpoint_url`` / ``region_name``); nothing is written to ``os.environ`` or the settings.
    ``None`` fields leave the settings' value in force.
    """

    access_key_id: str | None = None
    secret_access_key: str | None = None
    endpoint_url: str | None = None
    region: str | None = None

    def __repr__(self) -> str:  # never print the secret in a log line
        key = "set" if self.access_key_id else "unset"
        return f"S3Access(key={key}, endpoint_url={self.endpoint_url!r}, region={self.region!r})"


# --- errors ---------------------------------------------------------------------------------
def root_cause(exc: BaseException) -> str:
    """The innermost cause of ``exc`` as ``Type: first line`` (no traceback, no chain)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            break
        exc = nxt
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else '(no message)'}"


@contextmanager
def _quiet_dvc() -> Iterator[None]:
    """DVC logs each failed transfer with its traceback; the error we raise says it in a line."""
    loggers = [logging.getLogger(name) for name in ("dvc", "dvc_data", "dvc_objects")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _retry(cfg: StoreConfig, what: str, where: str, op: Callable[[], T]) -> T:
    """Run ``op`` up to ``cfg.retries`` times (tenacity: exponential backoff from
    ``cfg.backoff_s``, doubled per retry) on transient remote errors; then one
    :class:`RemoteUnavailableError` line. Any other error -- a :class:`ModelStoreError` that
    says the remote answered, and the answer is final -- propagates at once."""
    from botocore.exceptions import BotoCoreError, ClientError
    from dvc.exceptions import DvcException
    from dvc_objects.errors import ObjectDBError, ObjectFormatError
    from tenacity import (
        RetryError,
        Retrying,
        retry_if_exception_type,
        stop_after_attempt,
        wait_exponential,
    )

    transient = (DvcException, OSError, BotoCoreError, ClientError, ObjectDBError,
                 ObjectFormatError, RemoteUnavailableError)

    def attempt() -> T:
        with _quiet_dvc():
            return op()

    retrying = Retrying(stop=stop_after_attempt(cfg.retries),
                        wait=wait_exponential(multiplier=cfg.backoff_s, min=0),
                        retry=retry_if_exception_type(transient), sleep=time.sleep)
    try:
        return retrying(attempt)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise RemoteUnavailableError(
            f"{what} {where} failed after {cfg.retries} attempts: "
            f"{_explain(last) if last is not None else 'no error recorded'}") from None


def _explain(exc: BaseException) -> str:
    """One line for a remote failure. DVC reports an object it could not *read back* from the
    remote as "corrupted"; that is the remote failing its reads, not a corrupt model."""
    from dvc_objects.errors import ObjectFormatError

    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in chain:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    unreadable = next((e for e in chain if isinstance(e, ObjectFormatError)), None)
    if unreadable is not None:
        obj = str(unreadable).split()[1] if len(str(unreadable).split()) > 1 else "an object"
        return (f"the endpoint answers existence checks (HEAD) for {obj} but its object reads "
                "return no readable content: the S3 service is failing, not the model files")
    return root_cause(exc)


# --- the repository and its remote ----------------------------------------------------------
def _overrides(cfg: StoreConfig) -> dict[str, Any]:
    """What the settings add to the default remote's config, in memory only."""
    out: dict[str, Any] = {}
    if cfg.endpoint_url:
        out["endpointurl"] = cfg.endpoint_url
    if cfg.access_key_id and cfg.secret_access_key:
        out.update(access_key_id=cfg.access_key_id, secret_access_key=cfg.secret_access_key)
    if cfg.region:
        out["region"] = cfg.region
    return out


def _same_url(a: str, b: str) -> bool:
    if "://" in a or "://" in b:
        return a.rstrip("/") == b.rstrip("/")
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def init_repo(repo_root: Path, remote_url: str, *, models_dir: Path | None = None) -> None:
    """Make ``repo_root`` a DVC repository whose default remote is ``remote_url``.

    For a folder that is not a DVC repository yet (the demo's scratch repository, a test's);
    refuses one that is. Writes ``.dvc/config`` (remote, ``core.analytics = false``) and, when
    absent, ``dvc.yaml`` declaring the five models as artifacts.
    """
    from dvc.repo import Repo

    if (repo_root / ".dvc").exists():
        raise ModelStoreError(f"{repo_root}: already a DVC repository; its .dvc/config is kept")
    repo_root.mkdir(parents=True, exist_ok=True)
    with _quiet_dvc():
        Repo.init(str(repo_root), no_scm=not (repo_root / ".git").exists())
    repo = Repo(str(repo_root))
    with repo.config.edit("repo") as conf:
        remote: dict[str, Any] = {"url": remote_url}
        if remote_url.startswith("s3://"):
            remote.update(connect_timeout=3, read_timeout=10)
        conf["remote"][REMOTE_NAME] = remote
        conf["core"]["remote"] = REMOTE_NAME
        conf["core"]["analytics"] = False
    models_dir = models_dir or repo_root / "models"
    if not (repo_root / "dvc.yaml").exists():
        write_dvc_yaml(repo_root, models_dir)
    ignore = repo_root / ".gitignore"
    line = f"/{journal.journal_dir(models_dir).relative_to(repo_root).as_posix()}/"
    text = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    if line not in text.splitlines():
        write_text_atomic(ignore, text + ("" if not text or text.endswith("\n") else "\n")
                          + line + "\n")


def open_repo(cfg: StoreConfig, settings: Settings | None = None) -> Any:
    """The DVC repository of the store, its configuration checked (never rewritten).

    Raises :class:`ModelStoreError` when the folder is not a DVC repository (and no settings
    were given to initialise one), has no default remote, or its default remote is not the one
    the settings name (saying both and how to reconcile them).
    """
    from dvc.repo import Repo

    if not cfg.models_dir.is_relative_to(cfg.repo_root):
        raise ModelStoreError(f"models folder {cfg.models_dir} is not inside {cfg.repo_root}")
    if not (cfg.repo_root / ".dvc").exists():
        if settings is None:
            raise ModelStoreError(
                f"{cfg.repo_root}: not a DVC repository (no .dvc/); the project checkout "
                "carries .dvc/config at its root: run from it or pass --repo-root")
        url = cfg.init_url(settings)
        init_repo(cfg.repo_root, url, models_dir=cfg.models_dir)
        log.warning("initialised a new DVC repository at %s with remote %s", cfg.repo_root, url)
    with _quiet_dvc():
        repo = Repo(str(cfg.repo_root), remote_config=_overrides(cfg) or None)
    config_file = cfg.repo_root / ".dvc" / "config"
    default = repo.config["core"].get("remote")
    if default != cfg.remote_name or cfg.remote_name not in repo.config["remote"]:
        raise ModelStoreError(
            f"{config_file}: expected default remote {cfg.remote_name!r}; found "
            f"{default!r} (remotes {sorted(repo.config['remote'])})")
    url = str(repo.config["remote"][cfg.remote_name]["url"])
    if cfg.remote_url is not None and not _same_url(url, cfg.remote_url):
        raise ModelStoreError(
            f"{config_file}: remote {cfg.remote_name!r} is {url}, the settings expect "
            f"{cfg.remote_url} (AEGIS_DVC_REMOTE_URL, or AEGIS_S3_BUCKET/AEGIS_S3_PREFIX with "
            f"AEGIS_S3_ENDPOINT_URL); align one: `dvc remote modify --local {cfg.remote_name} "
            f"url {cfg.remote_url}` or the settings")
    return repo


def remote_of(repo: Any, cfg: StoreConfig) -> dict[str, Any]:
    """The default remote's effective config (files + in-memory overrides)."""
    return dict(repo.config["remote"][cfg.remote_name])


def _s3_client(remote: dict[str, Any]) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=remote.get("endpointurl"),
        aws_access_key_id=remote.get("access_key_id"),
        aws_secret_access_key=remote.get("secret_access_key"),
        region_name=remote.get("region") or "us-east-1",
        config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 1}))


def describe(remote: dict[str, Any]) -> str:
    """``URL (endpoint E)`` for messages; the endpoint as boto3 resolves it."""
    url = str(remote["url"])
    if not url.startswith("s3://"):
        return url
    return f"{url} (endpoint {_s3_client(remote).meta.endpoint_url})"


def ensure_remote(cfg: StoreConfig, remote: dict[str, Any]) -> None:
    """Check the remote answers (S3: create the bucket if missing; local: create the folder)."""
    url = str(remote["url"])
    if not url.startswith("s3://"):
        Path(url).mkdir(parents=True, exist_ok=True)
        return
    from botocore.exceptions import ClientError

    bucket = url[len("s3://"):].split("/", 1)[0]
    client = _s3_client(remote)

    def check() -> None:
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise
            client.create_bucket(Bucket=bucket)

    _retry(cfg, "S3 head_bucket/create_bucket on", describe(remote), check)


# --- push, pull, commit -------------------------------------------------------------------
def dvc_push(cfg: StoreConfig, repo: Any) -> None:
    """``dvc add`` the models folder and ``dvc push`` it (bounded retries)."""
    remote = remote_of(repo, cfg)
    ensure_remote(cfg, remote)
    repo.scm_context.quiet = True  # models.dvc is staged and committed by us
    with _quiet_dvc():
        repo.add(str(cfg.models_dir))
    _retry(cfg, "dvc push to", describe(remote),
           lambda: repo.push(targets=[str(cfg.dvc_file)], remote=cfg.remote_name))


def push(cfg: StoreConfig, settings: Settings | None = None) -> None:
    """Recover, then ``dvc add`` + ``dvc push`` the models folder as it is."""
    with journal.store_lock(cfg.models_dir):
        _recover_locked(cfg)
        dvc_push(cfg, open_repo(cfg, settings))


def pull(cfg: StoreConfig, settings: Settings | None = None) -> None:
    """``dvc pull`` the models folder from the remote (bounded retries)."""
    if not cfg.dvc_file.exists():
        raise ModelStoreError(f"{cfg.dvc_file}: not found; nothing has been pushed yet")
    from dvc.exceptions import CheckoutError

    repo = open_repo(cfg, settings)
    remote = remote_of(repo, cfg)

    def op() -> None:
        try:
            repo.pull(targets=[str(cfg.dvc_file)], remote=cfg.remote_name, force=True)
        except CheckoutError as exc:  # the remote answered: it lacks the objects; no retry
            raise ModelStoreError(
                f"{cfg.dvc_file}: the remote {describe(remote)} does not hold the objects it "
                "names (nothing was pushed there yet: a deployment's first retrain pushes its "
                "champions, see docs/operations.md)") from exc

    _retry(cfg, "dvc pull from", describe(remote), op)


def _tracked_paths(cfg: StoreConfig, extra: list[Path]) -> list[Path]:
    """``models.dvc`` and the git-tracked files a change wrote (never those inside models/).

    The DVC files of a freshly initialised repository are included, so its clones can pull;
    in a checkout that carries them they are unchanged and stay out of the commit.
    """
    from aegis.registry.dvcfiles import ARTIFACTS, metrics_file

    root = cfg.repo_root
    metrics = [metrics_file(root, name) for name in ARTIFACTS]  # every one, placeholders too
    return [cfg.dvc_file, root / ".gitignore", cfg.models_dir.parent / ".gitignore",
            root / "dvc.yaml", root / ".dvc" / "config", root / ".dvc" / ".gitignore",
            root / ".dvcignore", *metrics,
            *[p for p in extra if not p.is_relative_to(cfg.models_dir)]]


def commit_models_dvc(cfg: StoreConfig, message: str, extra: list[Path] | None = None
                      ) -> str | None:
    """Commit ``models.dvc`` (and the metrics files); returns the commit id or None."""
    if not cfg.commit or not (cfg.repo_root / ".git").exists():
        return None
    return gitops.commit(cfg.repo_root, _tracked_paths(cfg, extra or []), message)


# --- transactions ---------------------------------------------------------------------------
def _complete(cfg: StoreConfig) -> Callable[[dict[str, Any]], None]:
    def complete(plan: dict[str, Any]) -> None:
        if (cfg.repo_root / ".git").exists():
            paths = [Path(e["path"]) for e in plan["files"]]
            gitops.commit(cfg.repo_root, _tracked_paths(cfg, paths), plan["message"])
            head = gitops.run(cfg.repo_root, "rev-parse", "HEAD").strip()
            subject = gitops.run(cfg.repo_root, "log", "-1", "--format=%s").strip()
            if subject == plan["message"]:
                gitops.tag_promotion(cfg.repo_root, head, plan.get("summary", {}),
                                     plan["message"])

    return complete


def _recover_locked(cfg: StoreConfig) -> str | None:
    note = journal.recover(cfg.models_dir, _complete(cfg))
    if note:
        log.warning("%s: %s", cfg.models_dir, note)
    return note


def recover_store(cfg: StoreConfig) -> str | None:
    """Finish or roll back a promotion interrupted by a crash; returns what was done."""
    if not journal.journal_dir(cfg.models_dir).exists():
        return None
    with journal.store_lock(cfg.models_dir):
        return _recover_locked(cfg)


def transaction(cfg: StoreConfig, plan: Callable[[], journal.StoreChange], *, push: bool = True,
                settings: Settings | None = None) -> str | None:
    """Apply the change ``plan()`` computes, crash-safely; push and commit it (see module doc).

    ``plan`` runs under the store lock after any earlier interrupted change was recovered, so it
    sees the store as it is. Raises :class:`RemoteUnavailableError` when the remote cannot be
    reached; then the store is exactly as before. Returns the git commit id (or None).
    """
    with journal.store_lock(cfg.models_dir):
        _recover_locked(cfg)
        repo = open_repo(cfg, settings) if push else None
        if repo is not None:
            ensure_remote(cfg, remote_of(repo, cfg))  # fail before touching anything
        change = plan()
        change.backup.append(cfg.dvc_file)
        commit = push and cfg.commit and (cfg.repo_root / ".git").exists()
        journal.prepare(cfg.models_dir, change, push=push, commit=commit)
        try:
            journal.apply(cfg.models_dir)
            if repo is not None:
                dvc_push(cfg, repo)
                journal.mark_pushed(cfg.models_dir)
        except BaseException:
            journal.roll_back(cfg.models_dir)
            raise
        sha = None
        if commit:
            sha = commit_models_dvc(cfg, change.message, list(change.files))
            if sha is not None:
                gitops.tag_promotion(cfg.repo_root, sha, change.summary, change.message)
        journal.finish(cfg.models_dir)
        return sha
