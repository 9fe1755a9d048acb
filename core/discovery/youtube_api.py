"""The YouTube Data API client: the shipped static discovery document, re-rooted to configuration.

`build_from_document` on Google's own document with `rootUrl` set to `GOOGLE_API_BASE_URL`
gives the same code path for real use, proxies and the local fake. The client is
synchronous (httplib2, not thread-safe), so each thread builds its own; every call first
reserves its quota units (`core.quota.spend`) and a 403 `quotaExceeded` blocks the bucket
until Google's reset.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httplib2
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from sqlalchemy import select

from core import google_api, quota
from core.models import Account
from core.publish import tokens
from core.services import Services

log = logging.getLogger(__name__)

TIMEOUT_S = 30
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded"}


class YouTubeError(Exception):
    """An API call failed in a way the person should hear about (bad key, not found…)."""


class YouTubeApi:
    """Quota-accounted YouTube calls for one workspace; safe to use from many threads."""

    def __init__(self, services: Services, workspace_id: int | None) -> None:
        settings = services.settings
        self._account_id = None if settings.youtube_api_key else connected_account(services, workspace_id)
        if not settings.youtube_api_key and self._account_id is None:
            raise YouTubeError("YouTube discovery needs YOUTUBE_API_KEY (a Google Cloud key with the "
                               "YouTube Data API enabled) or a YouTube account connected here "
                               "(/connect youtube).")
        self._services = services
        self._workspace_id = workspace_id
        self._document = google_api.discovery_document(
            "youtube", "v3", settings.google_api_base_url.rstrip("/") + "/")
        self._key = settings.youtube_api_key.get_secret_value()
        self._clients: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._prepaid: dict[str, int] = {}
        self._blocked: quota.QuotaError | None = None

    @contextmanager
    def _client(self) -> Iterator[Any]:
        """A built client for this thread's call: httplib2 is not thread-safe and a build costs
        ~30 ms, so clients are pooled and reused rather than built per call or per thread."""
        try:
            client = self._clients.get_nowait()
        except queue.Empty:
            client = self._build()
        try:
            yield client
        finally:
            self._clients.put(client)

    def _build(self) -> Any:
        """With the API key; without one, acting for the workspace's connected YouTube account."""
        if self._account_id is None:
            return build_from_document(self._document, developerKey=self._key,
                                       http=httplib2.Http(timeout=TIMEOUT_S))
        try:
            token = tokens.access_token(self._services, self._account_id)
        except tokens.TokenError as exc:
            raise YouTubeError(str(exc)) from None
        return build_from_document(self._document, http=google_api.authorized_http(token))

    @contextmanager
    def prepaid(self, bucket: str, units: int) -> Iterator[None]:
        """Record `units` for the calls about to be made in one write instead of one per call;
        what is not used is given back, so the day's count stays exact."""
        try:
            with self._services.db.session() as session:
                quota.spend(session, self._workspace_id, bucket, units)
        except quota.QuotaError:
            yield None
            return
        with self._lock:
            self._prepaid[bucket] = self._prepaid.get(bucket, 0) + units
        try:
            yield None
        finally:
            with self._lock:
                unused = min(units, self._prepaid.get(bucket, 0))
                self._prepaid[bucket] = self._prepaid.get(bucket, 0) - unused
            if unused:
                with self._services.db.session() as session:
                    quota.record(session, self._workspace_id, bucket, -unused)

    def _pay(self, bucket: str, units: int) -> None:
        if self._blocked is not None:
            raise self._blocked
        with self._lock:
            if self._prepaid.get(bucket, 0) >= units:
                self._prepaid[bucket] -= units
                return
        with self._services.db.session() as session:
            quota.spend(session, self._workspace_id, bucket, units)

    def call(self, bucket: str, make: Callable[[Any], Any], units: int = 1) -> dict[str, Any]:
        """Pay `units` from `bucket`, then execute the request `make(client)` builds."""
        self._pay(bucket, units)
        try:
            with self._client() as client:
                return make(client).execute(num_retries=2)
        except HttpError as exc:
            error = self._translate(exc, bucket)
            if isinstance(error, quota.QuotaError):
                self._blocked = error
            raise error from None

    def _translate(self, exc: HttpError, bucket: str) -> Exception:
        reason, message = _reason(exc)
        if reason in QUOTA_REASONS and exc.resp.status in (403, 429):
            with self._services.db.session() as session:
                until = quota.mark_exhausted(session, self._workspace_id, bucket)
            return quota.QuotaError(
                f"YouTube says the {bucket} quota is used up; scans resume {quota.describe_resume(until)}.",
                until)
        if reason in {"keyInvalid", "forbidden", "accessNotConfigured"}:
            return YouTubeError(f"YouTube refused the API key ({reason}): check YOUTUBE_API_KEY.")
        return YouTubeError(f"YouTube answered {exc.resp.status} {reason or ''}: {message}".strip())

    # -- the calls discovery makes ------------------------------------------------------------
    def channels(self, ids: list[str]) -> list[dict[str, Any]]:
        """Up to 50 channels by id, with their uploads playlist (1 unit)."""
        body = self.call(quota.YOUTUBE, lambda c: c.channels().list(
            part="snippet,contentDetails", id=",".join(ids), maxResults=50))
        return body.get("items", [])

    def channel_by_handle(self, handle: str) -> dict[str, Any] | None:
        body = self.call(quota.YOUTUBE, lambda c: c.channels().list(
            part="snippet,contentDetails", forHandle=handle.lstrip("@")))
        items = body.get("items", [])
        return items[0] if items else None

    def uploads(self, playlist_id: str, limit: int) -> list[str]:
        """The newest video ids of an uploads playlist (1 unit per page of 50)."""
        ids: list[str] = []
        token: str | None = None
        while len(ids) < limit:
            page_size = min(50, limit - len(ids))
            body = self.call(quota.YOUTUBE, lambda c, t=token, n=page_size: c.playlistItems().list(
                part="contentDetails", playlistId=playlist_id, maxResults=n, pageToken=t))
            ids += [item["contentDetails"]["videoId"] for item in body.get("items", [])]
            token = body.get("nextPageToken")
            if not token:
                break
        return ids[:limit]

    def videos(self, ids: list[str]) -> list[dict[str, Any]]:
        """Statistics, duration and licence for up to 50 videos (1 unit)."""
        body = self.call(quota.YOUTUBE, lambda c: c.videos().list(
            part="snippet,statistics,contentDetails,status", id=",".join(ids), maxResults=50))
        return body.get("items", [])

    def trending(self, region: str, category: str | None, limit: int) -> list[dict[str, Any]]:
        """The mostPopular chart for a region (and category), with full details (1 unit a page)."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        extra = {"videoCategoryId": category} if category else {}
        while len(items) < limit:
            body = self.call(quota.YOUTUBE, lambda c, t=token: c.videos().list(
                part="snippet,statistics,contentDetails,status", chart="mostPopular",
                regionCode=region, maxResults=min(50, limit), pageToken=t, **extra))
            items += body.get("items", [])
            token = body.get("nextPageToken")
            if not token:
                break
        return items[:limit]

    def search(self, query: str, limit: int) -> list[str]:
        """Video ids matching a query: one call from the separate search bucket."""
        body = self.call(quota.YOUTUBE_SEARCH, lambda c: c.search().list(
            part="id", q=query, type="video", order="date", maxResults=min(50, limit)))
        return [item["id"]["videoId"] for item in body.get("items", []) if "videoId" in item.get("id", {})]


def connected_account(services: Services, workspace_id: int | None) -> int | None:
    """A healthy connected YouTube account of the workspace, to read public data as it."""
    if workspace_id is None:
        return None
    with services.db.session() as session:
        return session.scalar(select(Account.id).where(
            Account.workspace_id == workspace_id, Account.platform == "youtube",
            Account.healthy.is_(True), Account.token_blob.is_not(None)).order_by(Account.id).limit(1))


def _reason(exc: HttpError) -> tuple[str, str]:
    try:
        error = json.loads(exc.content.decode() or "{}").get("error", {})
    except (ValueError, UnicodeDecodeError):
        return "", str(exc)
    errors = error.get("errors") or [{}]
    return errors[0].get("reason", ""), error.get("message", "")
