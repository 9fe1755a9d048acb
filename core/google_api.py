"""Google API clients (YouTube Data and Analytics) rooted at a configured base URL, uploads included.

google-api-python-client builds upload URLs from the discovery document's `rootUrl`, not
from `api_endpoint`, so the shipped static document is re-rooted instead: a proxy or a
local fake then receives list calls and resumable uploads alike.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError

from core.config import Settings

HTTP_TIMEOUT_S = 120


@lru_cache(maxsize=8)
def discovery_document(api: str, version: str, root: str) -> str:
    """Google's shipped discovery document for `api` with every root pointed at `root`."""
    document = json.loads(get_static_doc(api, version))
    document["rootUrl"] = root
    document["mtlsRootUrl"] = root
    document["baseUrl"] = root + document.get("servicePath", "")
    return json.dumps(document)


def authorized_http(access_token: str) -> google_auth_httplib2.AuthorizedHttp:
    """httplib2 acting for the token; 308 is YouTube's "resume incomplete", not a redirect."""
    http = httplib2.Http(timeout=HTTP_TIMEOUT_S)
    http.redirect_codes = http.redirect_codes - {308}
    return google_auth_httplib2.AuthorizedHttp(Credentials(token=access_token), http=http)


def youtube(settings: Settings, access_token: str) -> Any:
    """A `youtube` v3 resource acting for the person whose token this is."""
    root = settings.google_api_base_url.rstrip("/") + "/"
    return build_from_document(discovery_document("youtube", "v3", root), http=authorized_http(access_token))


def error_reason(exc: HttpError) -> str:
    """The first `reason` of a Google API error (quotaExceeded, uploadLimitExceeded…), or ''."""
    try:
        body = json.loads(exc.content or b"{}")
    except ValueError:
        return ""
    errors = (body.get("error") or {}).get("errors") or [{}]
    return str(errors[0].get("reason", ""))


def error_message(exc: HttpError) -> str:
    try:
        body = json.loads(exc.content or b"{}")
        return str((body.get("error") or {}).get("message") or exc.resp.reason)
    except ValueError:
        return str(exc.resp.reason)
