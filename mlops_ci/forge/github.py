"""The transport to GitHub's REST API: PyGithub's requester under our retry policy.

The only module of mlops-ci that imports PyGithub, and only inside functions, so importing it
costs nothing. PyGithub's own retry is switched off (``retry=None``): its default urllib3
``Retry`` repeats a POST after a 5xx, and a lost response then duplicates the object. Every
request instead goes through ``Retrier`` (see ``retry.py``), and every POST that creates an
object is given a read-back by its idempotency key.

Requests go through ``Github.requester`` rather than PyGithub's object model so each one is
explicit: retried on its own (a failed page is fetched again, not the whole list), never
lazily completed behind our back, and counted exactly by the request benchmark.

The token never appears in an exception, a log line or a ``repr``: messages are built from
statuses and GitHub's own messages, and every text is passed through ``redact`` as well.
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mlops_ci.errors import ExternalError, UserError
from mlops_ci.forge.retry import Failure, FailureKind, ForgeReadOnly, Retrier, RetryPolicy

if TYPE_CHECKING:
    from github.Requester import Requester

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
INSTALLATION_LOGIN = "github-actions[bot]"
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_READ_ONLY_MESSAGES = ("resource not accessible by", "must have push access", "read-only")


def quote(segment: str) -> str:
    """``segment`` safe as one URL path segment (tags hold ``#`` and ``@``)."""
    return urllib.parse.quote(segment, safe="")


def _shown(method: str, path: str) -> str:
    """How a request to ``path`` is named in messages: its segments as the user wrote them.

    ``path`` is sent quoted (``churn%40v1.4.0``); a message shows ``churn@v1.4.0``, the name
    the user knows, where annotation escaping (``%`` as ``%25``) would print ``churn%2540v1.4.0``.
    """
    return f"{method} {urllib.parse.unquote(path)}"


class GitHubApi:
    """Authenticated, retried JSON requests to one repository's REST API.

    ``api_url`` is ``GITHUB_API_URL`` (GitHub Enterprise: ``https://HOST/api/v3``).
    ``seconds_between_writes`` paces writes as GitHub asks (secondary rate limits); tests pass 0.
    """

    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        repository: str,
        policy: RetryPolicy | None = None,
        timeout: int = 15,
        seconds_between_writes: float = 1.0,
        login: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if _REPOSITORY.fullmatch(repository) is None:
            raise UserError(f"GITHUB_REPOSITORY {repository!r} is not of the form OWNER/NAME")
        if not token:
            raise UserError("no GitHub token", hint="set the github_token input or GITHUB_TOKEN")
        if not _is_http_url(api_url):
            raise UserError(
                f"GITHUB_API_URL {api_url[:200]!r} is not an http(s) URL",
                hint="https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise",
            )
        from github import Auth, Github

        self.__token = token
        self._github = Github(
            auth=Auth.Token(token),
            base_url=api_url.rstrip("/"),
            timeout=timeout,  # whole seconds: PyGithub asserts an int
            retry=None,
            per_page=PER_PAGE,
            seconds_between_requests=None,
            seconds_between_writes=seconds_between_writes or None,
        )
        self._requester: Requester = self._github.requester
        self.repo = f"/repos/{repository}"
        self.repository = repository
        self.retrier = Retrier(
            policy or RetryPolicy(), self.classify, sleep=sleep, clock=clock, rand=rand
        )
        self._login = login

    def __repr__(self) -> str:
        return f"GitHubApi(repository={self.repository!r}, token=***)"

    def close(self) -> None:
        self._github.close()

    def redact(self, text: str) -> str:
        return text.replace(self.__token, "***") if self.__token else text

    @property
    def is_installation_token(self) -> bool:
        return self.__token.startswith("ghs_")

    def login(self) -> str:
        """Whose comments and issues are ours.

        The rule: a configured login wins (set it for a custom GitHub App: ``<slug>[bot]``);
        an installation token (``ghs_...``, the workflow's ``GITHUB_TOKEN``) writes as
        ``github-actions[bot]`` and may not call ``GET /user``, so it is not asked; any other
        token (a PAT) is asked ``GET /user`` once. A 403 there also means an installation.
        """
        if self._login is None:
            if self.is_installation_token:
                self._login = INSTALLATION_LOGIN
            else:
                try:
                    self._login = str(self.get("/user")["login"])
                except ForgeReadOnly:  # 403 "Resource not accessible by integration"
                    self._login = INSTALLATION_LOGIN
        return self._login

    # requests ---------------------------------------------------------------------------

    def _json(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> tuple[dict[str, Any], Any]:
        return self._requester.requestJsonAndCheck(
            method, path, parameters=dict(params) if params else None, input=body
        )

    def _guarded(self, what: str, run: Callable[[], T]) -> T:
        """``run()``; answers of GitHub that no rule expected become ``ExternalError``."""
        from github import GithubException

        try:
            return run()
        except GithubException as error:
            raise self.unexpected(what, error) from None

    def _absent_ok(self, what: str, run: Callable[[], T]) -> T | None:
        """Like ``_guarded``, but a 404 gives ``None``."""
        from github import GithubException

        try:
            return run()
        except GithubException as error:
            if error.status == 404:
                return None
            raise self.unexpected(what, error) from None

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        what = _shown("GET", path)
        return self._guarded(
            what, lambda: self.retrier.call(what, "GET", lambda: self._json("GET", path, params)[1])
        )

    def get_or_none(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """``GET path``, or ``None`` when GitHub answers 404."""
        what = _shown("GET", path)
        return self._absent_ok(
            what, lambda: self.retrier.call(what, "GET", lambda: self._json("GET", path, params)[1])
        )

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """The list at ``path`` one page (``per_page=100``) at a time, each page retried alone.

        Stops after a page shorter than a full one or without a ``Link: rel="next"``, so the
        caller who stops iterating early sends no further request.
        """
        page = 1
        while True:
            query = {**(params or {}), "per_page": PER_PAGE, "page": page}
            what = f"{_shown('GET', path)} page {page}"
            headers, items = self._guarded(what, self._page_request(what, path, query))
            if not isinstance(items, list):
                raise ExternalError(f"{what}: expected a list, got {type(items).__name__}")
            yield items
            if len(items) < PER_PAGE or 'rel="next"' not in headers.get("link", ""):
                return
            page += 1

    def _page_request(
        self, what: str, path: str, query: Mapping[str, Any]
    ) -> Callable[[], tuple[dict[str, Any], Any]]:
        return lambda: self.retrier.call(what, "GET", lambda: self._json("GET", path, query))

    def send(self, method: str, path: str, body: Any = None) -> Any:
        """An idempotent write (PATCH, PUT, DELETE), retried."""
        what = _shown(method, path)
        request = lambda: self._json(method, path, body=body)[1]  # noqa: E731
        return self._guarded(what, lambda: self.retrier.call(what, method, request))

    def delete_if_present(self, path: str) -> None:
        """``DELETE path``; a 404 (already gone, e.g. after a lost response) is success."""
        what = _shown("DELETE", path)
        self._absent_ok(
            what, lambda: self.retrier.call(what, "DELETE", lambda: self._json("DELETE", path))
        )

    def create(self, what: str, path: str, body: Any, read_back: Callable[[], Any]) -> Any:
        """``POST path`` creating the object ``read_back`` finds; see ``Retrier.post``.

        A 422 ``already_exists`` (another run created it between our lookup and our POST)
        is answered by reading the object back.
        """
        what = f"{_shown('POST', path)} ({what})"
        return self._post(what, lambda: self._json("POST", path, body=body)[1], read_back)

    def _post(self, what: str, request: Callable[[], Any], read_back: Callable[[], Any]) -> Any:
        from github import GithubException

        try:
            return self.retrier.post(what, request, read_back)
        except GithubException as error:
            if error.status == 422 and "already_exists" in self._detail(error):
                found = self._guarded(what, read_back)
                if found is not None:
                    return found
            raise self.unexpected(what, error) from None

    def post_once(self, what: str, path: str, body: Any) -> Any:
        """A POST with no way to read it back (dispatches): never repeated after a failure."""
        what = f"{_shown('POST', path)} ({what})"
        request = lambda: self._json("POST", path, body=body)[1]  # noqa: E731
        return self._guarded(what, lambda: self.retrier.call(what, "POST", request))

    def upload(self, upload_url: str, name: str, file: Path, read_back: Callable[[], Any]) -> Any:
        """Upload ``file`` as release asset ``name`` to the release's ``upload_url``."""
        url = upload_url.split("{", 1)[0]

        def request() -> Any:
            with file.open("rb") as stream:
                headers = {
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(file.stat().st_size),
                }
                return self._requester.requestMemoryBlobAndCheck(
                    "POST", url, {"name": name}, headers, stream
                )[1]

        return self._post(f"upload asset {name!r}", request, read_back)

    # failures ---------------------------------------------------------------------------

    def unexpected(self, what: str, error: Exception) -> ExternalError:
        """An ``ExternalError`` for an answer none of our rules expected (422, 409, ...)."""
        failure = self.classify(error) or Failure(FailureKind.FATAL, self._detail(error))
        status = f" (status {failure.status})" if failure.status else ""
        return ExternalError(f"{what}: {failure.detail}{status}")

    def _detail(self, error: Exception) -> str:
        from github import GithubException

        if isinstance(error, GithubException):
            data = error.data if isinstance(error.data, dict) else {}
            message = str(data.get("message") or error.message or "no message")
            errors = data.get("errors")
            if isinstance(errors, list) and errors:
                codes = ", ".join(
                    str(item.get("code", item)) if isinstance(item, dict) else str(item)
                    for item in errors
                )
                message += f" [{codes}]"
            return self.redact(message)[:300]
        return self.redact(f"{type(error).__name__}: {error}")[:300]

    def classify(self, error: Exception) -> Failure | None:
        """How the retry loop must treat ``error``; ``None`` for answers the caller handles."""
        import requests
        from github import GithubException

        if isinstance(error, GithubException):
            return self._classify_status(error)
        if isinstance(
            error,
            requests.exceptions.ConnectionError
            | requests.exceptions.Timeout
            | requests.exceptions.ChunkedEncodingError
            | http.client.HTTPException
            | socket.timeout
            | ConnectionError,
        ):
            return Failure(FailureKind.NETWORK, self._detail(error))
        return None

    def _classify_status(self, error: Any) -> Failure | None:
        status = int(error.status)
        headers = {str(k).lower(): str(v) for k, v in (error.headers or {}).items()}
        detail = self._detail(error)
        if status >= 500:
            return Failure(FailureKind.SERVER, detail, status)
        if status == 401:
            return Failure(FailureKind.FATAL, f"{detail}; the token is invalid or expired", status)
        if status not in (403, 429):
            return None
        retry_after = _seconds(headers.get("retry-after"))
        reset_at = _seconds(headers.get("x-ratelimit-reset"))
        exhausted = headers.get("x-ratelimit-remaining") == "0"
        limited = "rate limit" in detail.lower() or "abuse" in detail.lower()
        if status == 429 or retry_after is not None or exhausted or limited:
            return Failure(
                FailureKind.RATE_LIMITED,
                detail,
                status,
                retry_after=retry_after,
                reset_at=reset_at if exhausted else None,
            )
        if any(text in detail.lower() for text in _READ_ONLY_MESSAGES):
            return Failure(FailureKind.READ_ONLY, detail, status)
        return Failure(FailureKind.FATAL, detail, status)


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date in Retry-After: GitHub sends seconds; fall back to reset


def _is_http_url(text: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def api_from_environ(environ: Mapping[str, str], **options: Any) -> GitHubApi | None:
    """A ``GitHubApi`` from the Actions environment, or ``None`` when there is no token.

    Token: the ``github_token`` input (``INPUT_GITHUB_TOKEN``), else ``GITHUB_TOKEN``.
    Repository: ``GITHUB_REPOSITORY``. API: ``GITHUB_API_URL`` (default api.github.com).
    Login: ``MLOPS_CI_BOT_LOGIN`` when set (see ``GitHubApi.login``). Pause between writes:
    ``MLOPS_CI_SECONDS_BETWEEN_WRITES`` (default 1, GitHub's advice against secondary rate
    limits; 0 for a GitHub Enterprise server or a test double that does not need it).
    """
    token = environ.get("INPUT_GITHUB_TOKEN") or environ.get("GITHUB_TOKEN") or ""
    if not token.strip():
        return None
    repository = environ.get("GITHUB_REPOSITORY", "")
    if not repository:
        raise UserError(
            "a GitHub token is set but GITHUB_REPOSITORY is not",
            hint="set GITHUB_REPOSITORY=OWNER/NAME",
        )
    options.setdefault("login", environ.get("MLOPS_CI_BOT_LOGIN") or None)
    pause = environ.get("MLOPS_CI_SECONDS_BETWEEN_WRITES")
    if pause:
        try:
            options.setdefault("seconds_between_writes", max(0.0, float(pause)))
        except ValueError:
            raise UserError(
                f"MLOPS_CI_SECONDS_BETWEEN_WRITES={pause!r} is not a number of seconds"
            ) from None
    return GitHubApi(
        api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL,
        token=token.strip(),
        repository=repository,
        **options,
    )
