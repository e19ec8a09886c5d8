"""The client of the Veil service: one method per route of the HTTP API (``ROUTES_COVERED`` in routes.py),
iterators that walk the paged routes, and a job's wait with its progress (server-sent events, or polling)."""
from __future__ import annotations

import datetime as _dt
import io
import json
import os
import http.client
import time
import urllib.parse
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Union

from . import __version__
from ._http import Response, Transport, default_user_agent
from .errors import VeilApiError
from .models import (
    FINAL_JOB_STATES,
    Account,
    AccountPage,
    ApiKey,
    AuditEntry,
    AuditEntryWithProof,
    AuditExport,
    AuditPage,
    AuditVerification,
    CreatedApiKey,
    CreatedWebhook,
    Dataset,
    Job,
    JobFile,
    JobProgress,
    Me,
    Organisation,
    Principal,
    SpendRecord,
    SpendResult,
    UploadedData,
    Webhook,
)
from .sse import read_events

PathLike = Union[str, "os.PathLike[str]"]
JobEventCallback = Callable[[JobProgress], None]


def _seg(s: Any) -> str:
    return urllib.parse.quote(str(s), safe="")


def _account_path(path: str) -> str:
    return "/".join(_seg(p) for p in path.split("/"))


def _drop_none(d: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _iso(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        if v.tzinfo is None:
            raise ValueError("expires_at: a datetime with a timezone (the service needs an offset)")
        return v.isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    return v


def _pandas():
    try:
        import pandas  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "this method needs pandas, which is not installed: pip install pandas "
            "(or pip install 'veil-client[pandas]')"
        ) from e
    return pandas


class Client:
    """A client of the Veil service at ``base_url``.

    Authenticates every request with ``Authorization: Bearer …``: an API key (``veil_<id>_<secret>``, the second
    argument) or an OIDC access token (``token=``). ``timeout`` limits each attempt in seconds (for the event
    stream, a job's file and a report's bytes: until the answer starts); ``retries`` is how many times a request
    that is safe to repeat is sent again after a network error, a timeout, 429, 502, 503 or 504 (exponential
    backoff from ``backoff`` seconds up to ``max_backoff``, with jitter; a ``Retry-After`` is honoured, one longer
    than ``max_backoff`` is not waited for). Requests that spend, create or change are sent once.

    >>> veil = Client("http://127.0.0.1:8080", os.environ["VEIL_API_KEY"])
    >>> veil.me().role
    'admin'
    """

    def __init__(
        self,
        base_url: str,
        api_key: Optional[str] = None,
        *,
        token: Optional[str] = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        max_backoff: float = 10.0,
        user_agent: Optional[str] = None,
    ) -> None:
        if api_key is not None and token is not None:
            raise ValueError("give an API key or a token, not both")
        credential = api_key if api_key is not None else token
        if not credential:
            raise ValueError("a credential is needed: Client(url, api_key) or Client(url, token=...)")
        self._http = Transport(
            base_url,
            credential,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            user_agent=user_agent or default_user_agent(__version__),
        )

    @classmethod
    def from_env(cls, **options: Any) -> "Client":
        """A client of ``$VEIL_URL`` with ``$VEIL_API_KEY`` (or ``$VEIL_TOKEN``, an OIDC token)."""
        url = os.environ.get("VEIL_URL")
        if not url:
            raise ValueError("VEIL_URL is not set")
        key, token = os.environ.get("VEIL_API_KEY"), os.environ.get("VEIL_TOKEN")
        if key:
            return cls(url, key, **options)
        return cls(url, token=token, **options)

    @property
    def base_url(self) -> str:
        """The service's URL, without a trailing slash."""
        return self._http.base_url

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    # ---- the requests ----

    def _json(self, method: str, path: str, *, idempotent: bool, query: Optional[Mapping[str, Any]] = None,
              body: Any = None, data: Optional[bytes] = None) -> Any:
        r = self._http.open(method, path, query=query, json_body=body, data=data, idempotent=idempotent)
        if not r.body:
            return None
        try:
            return json.loads(r.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise VeilApiError(r.status, "bad_response", "the answer is not JSON", method=method, path=path,
                               request_id=r.header("x-request-id")) from None

    def _get(self, path: str, query: Optional[Mapping[str, Any]] = None) -> Any:
        return self._json("GET", path, idempotent=True, query=query)

    def _post(self, path: str, body: Any = None) -> Any:
        """A POST that changes something: sent once."""
        return self._json("POST", path, idempotent=False, body=body)

    def _compute(self, path: str, body: Any) -> Any:
        """A POST that only computes (nothing stored): safe to repeat."""
        return self._json("POST", path, idempotent=True, body=body)

    def _bytes(self, path: str, query: Optional[Mapping[str, Any]] = None) -> Response:
        return self._http.open("GET", path, query=query, accept="*/*", idempotent=True)

    # ---- identity ----

    def me(self) -> Me:
        """``GET /v1/me``: the caller (organisation, principal, role, how it signed in, key scopes)."""
        return Me.from_json(self._get("/v1/me"))

    def organisation(self) -> Organisation:
        """``GET /v1/org``."""
        return Organisation.from_json(self._get("/v1/org"))

    def list_principals(self) -> List[Principal]:
        return [Principal.from_json(p) for p in self._get("/v1/principals")["principals"]]

    def create_principal(self, name: str, role: str, *, oidc: Optional[Mapping[str, str]] = None) -> Principal:
        """A person or system with a role (``admin``, ``data-steward``, ``analyst``, ``auditor``); ``oidc``:
        ``{"issuer", "subject"}`` it signs in with."""
        return Principal.from_json(self._post("/v1/principals", _drop_none({"name": name, "role": role, "oidc": oidc})))

    def get_principal(self, principal_id: str) -> Principal:
        return Principal.from_json(self._get(f"/v1/principals/{_seg(principal_id)}"))

    def disable_principal(self, principal_id: str) -> Principal:
        return Principal.from_json(self._post(f"/v1/principals/{_seg(principal_id)}/disable"))

    def list_keys(self) -> List[ApiKey]:
        return [ApiKey.from_json(k) for k in self._get("/v1/keys")["keys"]]

    def create_key(self, principal_id: str, *, label: Optional[str] = None, scopes: Optional[Sequence[str]] = None,
                   expires_at: Union[str, _dt.datetime, None] = None) -> CreatedApiKey:
        """An API key for a principal; the key itself (``.api_key``) is in this answer only. ``scopes``:
        permissions narrower than the role; ``expires_at``: ISO 8601 with an offset, or an aware datetime."""
        body = _drop_none({"principalId": principal_id, "label": label,
                           "scopes": list(scopes) if scopes is not None else None, "expiresAt": _iso(expires_at)})
        return CreatedApiKey.from_json(self._post("/v1/keys", body))

    def revoke_key(self, key_id: str) -> ApiKey:
        return ApiKey.from_json(self._post(f"/v1/keys/{_seg(key_id)}/revoke"))

    # ---- budgets ----

    def list_accounts(self) -> List[Account]:
        return [Account.from_json(a) for a in self._get("/v1/accounts")["accounts"]]

    def create_account(self, account: str, epsilon: float, delta: Optional[float] = None, *,
                       accountant: Optional[str] = None) -> Account:
        """A budget account (``acme``, ``acme/ml``, …) with its epsilon limit at ``delta`` (the service requires
        it), composed by ``accountant`` (``rdp`` default, ``pld``, ``zcdp``)."""
        body = _drop_none({"account": account, "epsilon": epsilon, "delta": delta, "accountant": accountant})
        return Account.from_json(self._post("/v1/accounts", body))

    def get_account(self, path: str, limit: Optional[int] = None, after: Optional[int] = None) -> AccountPage:
        """The account's status and one page of its subtree's spends, oldest first: at most ``limit``
        (1 – 1,000) after spend id ``after``; ``.next`` is the ``after`` of the next page (None on the last)."""
        return AccountPage.from_json(self._get(f"/v1/accounts/{_account_path(path)}", {"limit": limit, "after": after}))

    def all_spends(self, path: str, page_size: Optional[int] = None, after: Optional[int] = None) -> Iterator[SpendRecord]:
        """Every spend of an account's subtree, oldest first, page after page (``page_size`` per request)."""
        while True:
            page = self.get_account(path, limit=page_size, after=after)
            yield from page.spends
            if page.next is None:
                return
            after = page.next

    def spend(self, account: str, *, purpose: str, epsilon: Optional[float] = None, delta: Optional[float] = None,
              events: Optional[Sequence[Mapping[str, Any]]] = None, dataset: Optional[str] = None,
              release: Optional[Mapping[str, Any]] = None) -> SpendResult:
        """Spends budget on a release made outside Veil: ``epsilon`` (and ``delta``), or the mechanism's
        ``events``, or a whole ``release`` object. Sent once: never retried (409 ``budget_exceeded`` when the
        account or an ancestor cannot pay)."""
        if release is None:
            if events is not None:
                release = {"kind": "events", "events": list(events)}
            elif epsilon is not None:
                release = _drop_none({"kind": "epsilon-delta", "epsilon": epsilon, "delta": delta})
            else:
                raise ValueError("spend: give epsilon (and delta), events, or release")
        body = _drop_none({"account": account, "release": dict(release), "purpose": purpose, "dataset": dataset})
        return SpendResult.from_json(self._post("/v1/spends", body))

    def forecast(self, account: str, window: Optional[int] = None) -> Dict[str, Any]:
        """The account's burn-down and projected exhaustion (``veil budget forecast``)."""
        return self._compute("/v1/forecast", _drop_none({"account": account, "window": window}))

    def allocate(self, account: str, jobs: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
        """Splits what remains across planned jobs, all of one kind: ``{"kind": "dp-sgd", "sampleRate", "steps",
        "weight"?, "name"?}`` or ``{"kind": "epsilon-delta", "delta"?, "weight"?, "name"?}``."""
        return self._compute("/v1/allocate", {"account": account, "jobs": [dict(j) for j in jobs]})

    # ---- datasets ----

    def list_datasets(self) -> List[Dataset]:
        return [Dataset.from_json(d) for d in self._get("/v1/datasets")["datasets"]]

    def upload_dataset(self, name: str, data: Union[bytes, bytearray, memoryview, PathLike, io.IOBase]) -> UploadedData:
        """Uploads a dataset's CSV (up to 64 MiB) as ``<name>.csv`` of the organisation: ``data`` is the bytes,
        a file path, or a binary file object. Safe to repeat (the same bytes replace the same file); a registered
        dataset is never replaced (409 ``dataset_registered``)."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            content = bytes(data)
        elif isinstance(data, (str, os.PathLike)):
            with open(data, "rb") as f:
                content = f.read()
        elif hasattr(data, "read"):
            content = data.read()
            if isinstance(content, str):
                content = content.encode("utf-8")
        else:
            raise TypeError("upload_dataset: data must be bytes, a path or a binary file")
        return UploadedData.from_json(
            self._json("PUT", f"/v1/datasets/{_seg(name)}/data", idempotent=True, data=content))

    def register_dataset(self, name: str, purposes: Sequence[str], *, retain_until: Union[str, _dt.date, None] = None,
                         constraints: Optional[Sequence[str]] = None, description: Optional[str] = None) -> Dataset:
        """Registers an uploaded dataset with its consent terms (the ledger keeps its SHA-256)."""
        body = _drop_none({"name": name, "purposes": list(purposes), "retainUntil": _iso(retain_until),
                           "constraints": list(constraints) if constraints is not None else None,
                           "description": description})
        return Dataset.from_json(self._post("/v1/datasets", body))

    # ---- audit ----

    def audit_entries(
        self,
        from_: Optional[int] = None,
        limit: Optional[int] = None,
        *,
        before: Optional[int] = None,
        order: Optional[str] = None,
        action: Optional[str] = None,
        outcome: Optional[str] = None,
        account: Optional[str] = None,
        dataset: Optional[str] = None,
    ) -> AuditPage:
        """One page of the organisation's audit entries from sequence number ``from_`` (``limit`` 1 – 1,000).

        ``order="desc"`` gives the newest first (page back with ``before``, the last ``seq`` seen); ``action``
        is an action (``budget.spend``) or a prefix ending in "." (``budget.``); ``outcome``, ``account`` (an
        account of the organisation and those below it) and ``dataset`` filter too."""
        query = {
            "from": from_,
            "limit": limit,
            "before": before,
            "order": order,
            "action": action,
            "outcome": outcome,
            "account": account,
            "dataset": dataset,
        }
        return AuditPage.from_json(self._get("/v1/audit/entries", query))

    def all_audit_entries(self, from_: int = 0, page_size: int = 100) -> Iterator[AuditEntry]:
        """Every audit entry of the organisation from ``from_`` on, oldest first, page after page."""
        while True:
            page = self.audit_entries(from_=from_, limit=page_size)
            yield from page.entries
            # a short page is the last: the service fills a page with the organisation's entries from `from` on
            if not page.entries or len(page.entries) < page_size:
                return
            from_ = page.entries[-1].seq + 1

    def audit_entry(self, seq: int) -> AuditEntryWithProof:
        """One entry with its RFC 6962 inclusion proof and the signed head."""
        return AuditEntryWithProof.from_json(self._get(f"/v1/audit/entries/{_seg(seq)}"))

    def verify_audit(self) -> AuditVerification:
        """The whole log's verification (entries, chain, signed heads, witness, budget tables)."""
        return AuditVerification.from_json(self._get("/v1/audit/verify"))

    def export_audit(self) -> AuditExport:
        return AuditExport.from_json(self._get("/v1/audit/export"))

    # ---- reports ----

    def report(self, regulation: str, format: str = "json") -> Union[Dict[str, Any], bytes]:
        """The organisation's compliance evidence report (``gdpr``, ``hipaa``, ``ccpa``): a dict for ``json``,
        the page's bytes for ``html``, the PDF's bytes for ``pdf`` (400 ``unsupported_format`` on a service
        without Chromium)."""
        path = f"/v1/reports/{_seg(regulation)}"
        if format == "json":
            return self._get(path, {"format": format})
        return self._bytes(path, {"format": format}).body

    # ---- privacy calculators ----

    def privacy_epsilon(self, release: Mapping[str, Any], delta: float, *, accountant: Optional[str] = None) -> Dict[str, Any]:
        """The epsilon of a release (``{"kind": "dp-sgd", "sampleRate", "noiseMultiplier", "steps"}``,
        ``{"kind": "gaussian", "sigma", …}`` or ``{"kind": "laplace", "scale", …}``) at ``delta``."""
        return self._compute("/v1/privacy/epsilon",
                             _drop_none({"release": dict(release), "delta": delta, "accountant": accountant}))

    def privacy_calibrate(self, target_epsilon: float, release: Mapping[str, Any]) -> Dict[str, Any]:
        """The noise that reaches ``target_epsilon`` for a release (``dp-sgd``, ``gaussian``, ``laplace``)."""
        return self._compute("/v1/privacy/calibrate", {"targetEpsilon": target_epsilon, "release": dict(release)})

    def privacy_max_steps(self, target_epsilon: float, delta: float, sample_rate: float, noise_multiplier: float, *,
                          accountant: Optional[str] = None) -> Dict[str, Any]:
        """How many DP-SGD steps fit in ``target_epsilon``."""
        return self._compute("/v1/privacy/max-steps", _drop_none({
            "targetEpsilon": target_epsilon, "delta": delta, "sampleRate": sample_rate,
            "noiseMultiplier": noise_multiplier, "accountant": accountant}))

    # ---- jobs ----

    def submit_job(self, kind: str, spec: Mapping[str, Any], *, priority: Optional[int] = None,
                   max_attempts: Optional[int] = None, timeout_seconds: Optional[int] = None) -> Job:
        """Submits a job (``train``, ``synth``, ``simulate``, ``coordinator``; the spec as in docs/server.md):
        its budget is reserved now (409 ``budget_exceeded`` otherwise). Sent once: never retried."""
        body = _drop_none({"kind": kind, "spec": dict(spec), "priority": priority, "maxAttempts": max_attempts,
                           "timeoutSeconds": timeout_seconds})
        return Job.from_json(self._post("/v1/jobs", body))

    def list_jobs(self, state: Optional[str] = None, limit: Optional[int] = None) -> List[Job]:
        """The organisation's jobs, newest first (``limit`` 1 – 500, default 50)."""
        return [Job.from_json(j) for j in self._get("/v1/jobs", {"state": state, "limit": limit})["jobs"]]

    def get_job(self, job_id: str) -> Job:
        return Job.from_json(self._get(f"/v1/jobs/{_seg(job_id)}"))

    def cancel_job(self, job_id: str) -> Job:
        """Cancels a queued job at once (its budget refunded), a running one at its next lease renewal."""
        return Job.from_json(self._post(f"/v1/jobs/{_seg(job_id)}/cancel"))

    def job_events(self, job_id: str, after: int = 0) -> List[JobProgress]:
        """The job's stored progress events after sequence number ``after`` (JSON; at most 500 a call)."""
        got = self._get(f"/v1/jobs/{_seg(job_id)}/events", {"after": after})
        return [JobProgress.from_json(e) for e in got["events"]]

    def wait_for_job(self, job_id: str, on_event: Optional[JobEventCallback] = None, *, mode: str = "stream",
                     interval: float = 1.0, timeout: Optional[float] = None, after: int = 0) -> Job:
        """Waits for the job's final state (``succeeded``, ``failed``, ``cancelled``) and returns the job; a failed
        job is returned, not raised (look at ``job.error``). ``on_event`` gets each progress event once, in order.

        ``mode="stream"`` follows the server-sent events of ``GET /v1/jobs/:id/events`` and reopens the stream after
        the last event seen when it drops; ``mode="poll"`` reads the events and the job every ``interval``
        seconds. ``timeout`` (seconds, default none) bounds the whole wait: :class:`TimeoutError` after it (the
        job goes on; ``cancel_job`` cancels it)."""
        if mode not in ("stream", "poll"):
            raise ValueError("mode: 'stream' or 'poll'")
        deadline = None if timeout is None else time.monotonic() + timeout
        last = after

        def emit(e: JobProgress) -> None:
            nonlocal last
            if e.seq <= last:
                return  # seen already (a reopened stream, an overlapping poll)
            last = e.seq
            if on_event is not None:
                on_event(e)

        def left() -> Optional[float]:
            if deadline is None:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"job {job_id} did not end within {timeout:g} s (it goes on)")
            return remaining

        def pause() -> None:
            remaining = left()
            time.sleep(interval if remaining is None else min(interval, remaining))

        if mode == "poll":
            while True:
                left()
                events = self.job_events(job_id, after=last)
                for e in events:
                    emit(e)
                if events:
                    continue
                job = self.get_job(job_id)
                if job.state in FINAL_JOB_STATES:
                    for e in self.job_events(job_id, after=last):  # written between the last read and the end
                        emit(e)
                    return job
                pause()

        while True:
            remaining = left()
            read_timeout = self._http.timeout if remaining is None else min(self._http.timeout, remaining)
            ended = False
            try:
                resp = self._http.open("GET", f"/v1/jobs/{_seg(job_id)}/events", query={"after": last},
                                       accept="text/event-stream", idempotent=True, stream=True,
                                       timeout=read_timeout)
                with resp:
                    for sse in read_events(resp):
                        if sse.event == "end":
                            ended = True
                            break
                        try:
                            data = json.loads(sse.data)
                        except ValueError:
                            continue
                        at = data.pop("at", None) if isinstance(data, dict) else None
                        seq = int(sse.id) if sse.id is not None and sse.id.isdigit() else last + 1
                        emit(JobProgress.from_json({"seq": seq, "at": at, "event": data}))
                        left()  # the whole wait's limit, while events keep coming
            except VeilApiError:
                raise  # refused, or no answer after the transport's retries
            except (OSError, http.client.HTTPException, ValueError):
                pass  # the stream dropped (or went quiet past the read timeout): reopen it after the last event
            if ended:
                return self.get_job(job_id)
            pause()

    def job_file(self, job_id: str, name: str) -> JobFile:
        """A file the job wrote (its model, a synthetic CSV), with the service's SHA-256 fingerprint:
        ``content, fingerprint = client.job_file(id, "model.json")``; ``.verify()`` checks the bytes."""
        r = self._bytes(f"/v1/jobs/{_seg(job_id)}/files/{_seg(name)}")
        return JobFile(r.body, r.header("veil-fingerprint"))

    # ---- operations and alerts ----

    def metrics(self) -> str:
        """Prometheus text (``metrics.read``)."""
        r = self._http.open("GET", "/metrics", accept="text/plain", idempotent=True)
        return r.body.decode("utf-8")

    def list_webhooks(self) -> List[Webhook]:
        return [Webhook.from_json(w) for w in self._get("/v1/webhooks")["webhooks"]]

    def create_webhook(self, url: str, *, kinds: Optional[Sequence[str]] = None,
                       threshold: Optional[float] = None) -> CreatedWebhook:
        """An endpoint for alerts (``budget.threshold``, ``job.failed``); the answer carries its secret once."""
        body = _drop_none({"url": url, "kinds": list(kinds) if kinds is not None else None, "threshold": threshold})
        return CreatedWebhook.from_json(self._post("/v1/webhooks", body))

    def disable_webhook(self, webhook_id: str) -> Webhook:
        return Webhook.from_json(self._post(f"/v1/webhooks/{_seg(webhook_id)}/disable"))

    # ---- pandas ----

    def spends_frame(self, path: str, page_size: int = 1000):
        """Every spend of an account's subtree as a pandas DataFrame (one row a spend). Needs pandas."""
        pd = _pandas()
        cols = ["id", "account", "purpose", "status", "dataset", "actor", "created_at", "refund_reason", "events"]
        rows = [{c: getattr(s, c) for c in cols} for s in self.all_spends(path, page_size=page_size)]
        frame = pd.DataFrame(rows, columns=cols)
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
        return frame

    def audit_frame(self, from_: int = 0, page_size: int = 1000):
        """The organisation's audit entries as a pandas DataFrame (one row an entry). Needs pandas."""
        pd = _pandas()
        cols = ["seq", "at", "actor", "action", "account", "dataset", "purpose", "outcome", "detail", "leaf_hash",
                "chain_hash"]
        rows = [{c: getattr(e, c) for c in cols} for e in self.all_audit_entries(from_=from_, page_size=page_size)]
        frame = pd.DataFrame(rows, columns=cols)
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
        return frame

    def jobs_frame(self, state: Optional[str] = None, limit: Optional[int] = None):
        """The organisation's jobs as a pandas DataFrame. Needs pandas."""
        pd = _pandas()
        cols = ["id", "kind", "state", "submitted_by", "priority", "attempts", "created_at", "started_at",
                "finished_at"]
        return pd.DataFrame([{c: getattr(j, c) for c in cols} for j in self.list_jobs(state=state, limit=limit)],
                            columns=cols)
