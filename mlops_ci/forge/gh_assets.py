"""Reading a release asset back from GitHub: the production model for evaluate and deploy.

``fetch_release_asset`` looks the release up with ``GET /releases/tags/{tag}``, which sees
published releases only (a draft owns no tag), then downloads the asset from its API URL with
``Accept: application/octet-stream``. GitHub answers that with a 302 to its storage host; the
download follows it, and the token is sent to GitHub only, never to the storage host
(requests drops ``Authorization`` when a redirect changes host or port).

The download streams to a temporary file beside the destination in 1 MiB chunks, hashed as it
arrives (see ``checksums.py``). It is a GET: a 5xx or a network error (refused, reset,
timed out, cut short) starts it over from the first byte under the forge's ``RetryPolicy``
and with its timeout; rate limits wait as for any request. A 404 on the download itself (the
asset was deleted in between) is ``MISSING_ASSET``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_ci.errors import UserError
from mlops_ci.forge import checksums
from mlops_ci.forge.checksums import SUMS_NAME, Expected, PartFile
from mlops_ci.forge.github import GitHubApi, quote
from mlops_ci.forge.protocol import FetchResult, Outcome

if TYPE_CHECKING:
    import requests
    from github import GithubException


def fetch_release_asset(
    api: GitHubApi, tag: str, name: str, dest: Path, *, expected_sha256: str | None = None
) -> FetchResult:
    wanted = checksums.check_sha256(expected_sha256) if expected_sha256 is not None else None
    release = api.get_or_none(f"{api.repo}/releases/tags/{quote(tag)}")
    if not isinstance(release, dict) or release.get("draft"):
        return FetchResult(Outcome.MISSING_RELEASE, tag, name)
    assets = _uploaded_assets(api, release, name)
    asset = assets.get(name)
    if asset is None:
        return FetchResult(Outcome.MISSING_ASSET, tag, name)
    with Downloader(api) as downloader:
        expected = _expected(downloader, tag, name, wanted, assets)
        found = checksums.already_there(tag, name, dest, expected)
        if found is not None:
            return found
        with PartFile(dest) as part:
            what = f"download asset {name!r} of release {tag}"
            if not downloader.get(str(asset["url"]), part.restart, part.write, what):
                return FetchResult(Outcome.MISSING_ASSET, tag, name)
            return checksums.settle(part, tag, name, expected)


def _uploaded_assets(api: GitHubApi, release: dict[str, Any], name: str) -> dict[str, Any]:
    """Name -> asset of the release's complete uploads (a broken upload is not an asset).

    The release lists its assets; should ``name`` not be among them, the asset list is paged
    through as well, in case a release with very many assets lists only some.
    """
    listed = [a for a in release.get("assets") or [] if isinstance(a, dict)]
    if listed and all(a.get("name") != name for a in listed):
        listed = [
            a
            for page in api.pages(f"{api.repo}/releases/{int(release['id'])}/assets")
            for a in page
            if isinstance(a, dict)
        ]
    return {
        str(a["name"]): a
        for a in listed
        if "name" in a and "url" in a and a.get("state", "uploaded") == "uploaded"
    }


def _expected(
    downloader: Downloader,
    tag: str,
    name: str,
    wanted: str | None,
    assets: dict[str, Any],
) -> Expected | None:
    """The witness for ``name``'s sha256; reads ``SHA256SUMS`` only when it is needed."""
    digest = checksums.digest_of(assets[name])
    sums_asset = assets.get(SUMS_NAME)
    if wanted is not None or name == SUMS_NAME or sums_asset is None:
        return checksums.expected_hash(name, wanted, None, digest)
    source = f"{SUMS_NAME} of release {tag}"
    data = bytearray()

    def collect(chunk: bytes) -> None:
        data.extend(chunk)
        if len(data) > checksums.MAX_SUMS_BYTES:
            raise UserError(f"{source} is larger than {checksums.MAX_SUMS_BYTES} bytes")

    if not downloader.get(str(sums_asset["url"]), data.clear, collect, f"download {source}"):
        return checksums.expected_hash(name, None, None, digest)
    sums = checksums.verified_sums(bytes(data), checksums.digest_of(sums_asset), source)
    return checksums.expected_hash(name, None, sums, digest)


class Downloader:
    """Streaming GETs of asset bytes with the forge's token, timeout and retry policy.

    Built from the PyGithub requester's settings so that it authenticates, identifies itself
    and times out exactly as every other request of the forge does; it uses ``requests``
    directly because PyGithub's own download follows GitHub's redirect without a timeout and
    refuses storage hosts outside github.com (GitHub Enterprise may use another).
    """

    def __init__(self, api: GitHubApi) -> None:
        import requests

        settings = api._requester.kwargs
        self._api = api
        self._timeout = settings.get("timeout") or 15
        self._verify = settings.get("verify", True)
        self._headers: dict[str, str] = {
            "Accept": "application/octet-stream",
            "User-Agent": str(settings.get("user_agent") or "mlops-ci"),
            "X-GitHub-Api-Version": str(settings.get("api_version") or "2022-11-28"),
        }
        auth = settings.get("auth")
        if auth is not None:
            auth.authentication(self._headers)
        self._session = requests.Session()
        self._session.auth = _no_netrc  # ~/.netrc must not replace the token we send

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._session.close()

    def get(
        self,
        url: str,
        restart: Callable[[], None],
        write: Callable[[bytes], None],
        what: str,
    ) -> bool:
        """Stream ``url`` into ``write``, retried from ``restart``; ``False`` on a 404."""
        from github import GithubException

        def attempt() -> None:
            restart()
            with self._session.get(
                url,
                headers=self._headers,
                stream=True,
                timeout=(self._timeout, self._timeout),
                verify=self._verify,
                allow_redirects=True,
            ) as response:
                if response.status_code >= 400:
                    raise _as_github_exception(response)
                for chunk in response.iter_content(chunk_size=checksums.CHUNK):
                    write(chunk)

        try:
            self._api.retrier.call(what, "GET", attempt)
        except GithubException as error:
            if error.status == 404:
                return False
            raise self._api.unexpected(what, error) from None
        return True


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _as_github_exception(response: requests.Response) -> GithubException:
    """An error answer as PyGithub would raise it, so the forge's retry rules apply to it."""
    import json

    from github import GithubException

    body = next(response.iter_content(chunk_size=4096), b"")
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "message" not in data:
        data = {"message": f"HTTP {response.status_code} {response.reason}"}
    return GithubException(response.status_code, data, dict(response.headers))
