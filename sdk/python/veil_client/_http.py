"""One request to the service over urllib: a bearer credential, a timeout per attempt, the service's refusals
as :class:`VeilApiError`, and retries with exponential backoff and jitter for requests that are safe to repeat
only (the caller says which). A request that spends or creates is sent once, whatever the answer."""
from __future__ import annotations

import email.utils
import http.client
import json
import random
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional

from .errors import VeilApiError, VeilNetworkError

#: Statuses after which a request that is safe to repeat is sent again.
RETRY_STATUS = frozenset({429, 502, 503, 504})


def retry_after_seconds(header: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds of a ``Retry-After`` header (delay-seconds or an HTTP date), or None."""
    if header is None or header.strip() == "":
        return None
    try:
        return max(0.0, float(header.strip()))
    except ValueError:
        pass
    try:
        at = email.utils.parsedate_to_datetime(header.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if at is None:
        return None
    return max(0.0, at.timestamp() - (time.time() if now is None else now))


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: the credential must not travel to another origin."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


class Transport:
    def __init__(
        self,
        base_url: str,
        credential: str,
        *,
        timeout: float,
        retries: int,
        backoff: float,
        max_backoff: float,
        user_agent: str,
        sleep: Callable[[float], None] = time.sleep,
        rng: Optional[random.Random] = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url or "")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if not isinstance(credential, str) or credential == "":
            raise ValueError("a credential is needed: an API key (veil_…) or an OIDC token")
        self.base_url = base_url.rstrip("/")
        self._credential = credential
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.user_agent = user_agent
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._opener = urllib.request.build_opener(_NoRedirect)

    # "equal jitter": half the doubled delay fixed, half uniform
    def backoff_delay(self, attempt: int) -> float:
        d = min(self.max_backoff, self.backoff * (2 ** attempt))
        return d / 2 + self._rng.random() * (d / 2)

    def url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        q = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
        return self.base_url + path + (("?" + urllib.parse.urlencode(q)) if q else "")

    def _request(self, method: str, url: str, body: Optional[bytes], content_type: Optional[str], accept: str,
                 headers: Optional[Mapping[str, str]]) -> urllib.request.Request:
        h: Dict[str, str] = {
            "Authorization": f"Bearer {self._credential}",
            "Accept": accept,
            "User-Agent": self.user_agent,
        }
        if content_type is not None:
            h["Content-Type"] = content_type
        h.update(headers or {})
        return urllib.request.Request(url, data=body, method=method, headers=h)

    def open(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        json_body: Any = None,
        data: Optional[bytes] = None,
        accept: str = "application/json",
        idempotent: bool,
        stream: bool = False,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
    ):
        """Sends ``method path``; returns a :class:`Response` (or, with ``stream``, the open urllib response whose
        body the caller reads and closes). Raises :class:`VeilApiError` for anything but a 2xx answer."""
        url = self.url(path, query)
        content_type = None
        body = None
        if data is not None:
            body, content_type = bytes(data), "application/octet-stream"
        elif json_body is not None:
            body, content_type = json.dumps(json_body).encode("utf-8"), "application/json"
        per_attempt = self.timeout if timeout is None else timeout
        attempt = 0
        while True:
            can_retry = idempotent and attempt < self.retries
            req = self._request(method, url, body, content_type, accept, headers)
            try:
                resp = self._opener.open(req, timeout=per_attempt)
                if stream:
                    return resp
                with resp:
                    payload = resp.read()
                return Response(resp.status, _headers(resp.headers), payload)
            except urllib.error.HTTPError as e:
                try:
                    text = e.read()
                except (OSError, http.client.HTTPException):
                    text = b""
                finally:
                    e.close()
                hdrs = _headers(e.headers)
                asked = retry_after_seconds(hdrs.get("retry-after"))
                if can_retry and e.code in RETRY_STATUS and (asked is None or asked <= self.max_backoff):
                    self._sleep(self.backoff_delay(attempt) if asked is None else asked)
                    attempt += 1
                    continue
                raise refusal(method, path, e.code, hdrs, text, asked) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
                reason = getattr(e, "reason", e)
                timed_out = isinstance(reason, (socket.timeout, TimeoutError)) or isinstance(e, (socket.timeout, TimeoutError))
                if can_retry:
                    self._sleep(self.backoff_delay(attempt))
                    attempt += 1
                    continue
                if timed_out:
                    raise VeilNetworkError(0, "timeout", f"no answer within {per_attempt:g} s",
                                           method=method, path=path) from e
                raise VeilNetworkError(0, "network_error",
                                       f"the service at {self.base_url} cannot be reached ({reason})",
                                       method=method, path=path) from e


def _query_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _headers(msg: Any) -> Dict[str, str]:
    """Response headers with lower-case names."""
    if msg is None:
        return {}
    return {k.lower(): v for k, v in msg.items()}


def refusal(method: str, path: str, status: int, headers: Mapping[str, str], text: bytes,
            retry_after: Optional[float] = None) -> VeilApiError:
    """The service's error from an answer that is not 2xx."""
    code = f"http_{status}"
    message = text[:300].decode("utf-8", errors="replace") or http.client.responses.get(status, "")
    try:
        err = json.loads(text.decode("utf-8")).get("error")
        if isinstance(err, dict):
            if isinstance(err.get("code"), str):
                code = err["code"]
            if isinstance(err.get("message"), str):
                message = err["message"]
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass  # not the API's JSON (a proxy's page): the status stands for the code
    return VeilApiError(status, code, message, method=method, path=path,
                        request_id=headers.get("x-request-id"), retry_after=retry_after)


def default_user_agent(version: str) -> str:
    return f"veil-client-python/{version} (Python {sys.version_info.major}.{sys.version_info.minor})"
