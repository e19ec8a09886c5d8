"""The answers of the Veil service as dataclasses, built tolerantly from its JSON.

Each model has the service's fields in snake_case (``epsilonLimit`` → ``epsilon_limit``) and keeps the whole JSON
object it was built from in ``raw``: a field a newer service adds is not lost, and a field it drops is ``None``.
Answers whose shape is the jobs layer's own (forecasts, allocations, the privacy calculators, reports, a job's
result) are plain ``dict``s, as the service sends them.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, List, NamedTuple, Optional, Tuple, Type, TypeVar

T = TypeVar("T", bound="Model")

#: The states a job ends in.
FINAL_JOB_STATES = ("succeeded", "failed", "cancelled")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@dataclass
class Model:
    """Base of the models: ``from_json`` builds one from the service's object, ``raw`` keeps that object."""

    #: field name -> (model class, is a list)
    _nested: ClassVar[Dict[str, Tuple[Type["Model"], bool]]] = {}
    #: field name -> JSON key, where it is not the field's camelCase
    _keys: ClassVar[Dict[str, str]] = {}

    @classmethod
    def from_json(cls: Type[T], obj: Any) -> T:
        if not isinstance(obj, dict):
            raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(obj).__name__}")
        values: Dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "raw":
                continue
            key = cls._keys.get(f.name, _camel(f.name))
            if key not in obj:
                # absent (an older or newer service): an empty list where the field is a list, else None
                values[f.name] = f.default_factory() if f.default_factory is not dataclasses.MISSING else None
                continue
            v = obj[key]
            nested = cls._nested.get(f.name)
            if nested is not None and v is not None:
                model, many = nested
                if many and isinstance(v, list):
                    v = [model.from_json(x) if isinstance(x, dict) else x for x in v]
                elif not many and isinstance(v, dict):
                    v = model.from_json(v)
            values[f.name] = v
        return cls(**values, raw=dict(obj))  # type: ignore[call-arg]

    def to_dict(self) -> Dict[str, Any]:
        """The service's JSON object this model was built from."""
        return dict(self.raw)  # type: ignore[attr-defined]


# ---- identity ----

@dataclass
class Me(Model):
    org: str = ""
    principal_id: str = ""
    name: str = ""
    role: str = ""
    #: ``api-key`` or ``oidc``
    via: str = ""
    #: the key's permissions when it is limited to some; None for all of the role's
    scopes: Optional[List[str]] = None
    #: what this credential may do: the role's permissions, narrowed to the key's scopes
    permissions: List[str] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class Organisation(Model):
    name: str = ""
    created_at: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class Principal(Model):
    id: str = ""
    org: str = ""
    name: str = ""
    role: str = ""
    oidc: Optional[Dict[str, str]] = None
    created_at: Optional[str] = None
    disabled_at: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class ApiKey(Model):
    """An API key as listed: never the key itself."""
    id: str = ""
    principal_id: str = ""
    label: str = ""
    scopes: Optional[List[str]] = None
    expires_at: Optional[str] = None
    revoked_at: Optional[str] = None
    created_at: Optional[str] = None
    created_by: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class CreatedApiKey(Model):
    """``POST /v1/keys``' answer: the key (``veil_…``), shown this once, and its record."""
    api_key: str = ""
    key: Optional[ApiKey] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _nested: ClassVar[Dict[str, Tuple[Type[Model], bool]]] = {"key": (ApiKey, False)}


# ---- budgets ----

@dataclass
class Account(Model):
    path: str = ""
    parent: Optional[str] = None
    epsilon_limit: float = 0.0
    delta_limit: float = 0.0
    #: ``rdp``, ``pld`` or ``zcdp``
    accountant: str = ""
    created_at: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class AccountStatus(Model):
    account: Optional[Account] = None
    epsilon_spent: float = 0.0
    epsilon_remaining: float = 0.0
    #: how many spends the subtree has
    spends: int = 0
    epsilon_naive_sum: Optional[float] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _nested: ClassVar[Dict[str, Tuple[Type[Model], bool]]] = {"account": (Account, False)}


@dataclass
class SpendRecord(Model):
    id: int = 0
    account: str = ""
    purpose: str = ""
    #: ``granted``, ``reserved``, ``refunded``, …
    status: str = ""
    events: Optional[List[Dict[str, Any]]] = None
    dataset: Optional[str] = None
    actor: Optional[str] = None
    created_at: Optional[str] = None
    refund_reason: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class AccountPage(Model):
    """``GET /v1/accounts/<path>``: the account's status and one page of its subtree's spends, oldest first."""
    status: Optional[AccountStatus] = None
    spends: List[SpendRecord] = field(default_factory=list)
    #: the ``after`` of the next page, or None on the last
    next: Optional[int] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _nested: ClassVar[Dict[str, Tuple[Type[Model], bool]]] = {
        "status": (AccountStatus, False), "spends": (SpendRecord, True)}


@dataclass
class SpendReceipt(Model):
    id: int = 0
    account: str = ""
    purpose: str = ""
    #: the composed epsilon of the account and each ancestor after the spend
    epsilon_after: Optional[Dict[str, float]] = None
    created_at: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class SpendResult(Model):
    receipt: Optional[SpendReceipt] = None
    status: Optional[AccountStatus] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _nested: ClassVar[Dict[str, Tuple[Type[Model], bool]]] = {
        "receipt": (SpendReceipt, False), "status": (AccountStatus, False)}


# ---- datasets ----

@dataclass
class Dataset(Model):
    name: str = ""
    #: ``sha256:<hex>`` of the registered file
    fingerprint: str = ""
    purposes: List[str] = field(default_factory=list)
    retain_until: Optional[str] = None
    constraints: List[str] = field(default_factory=list)
    description: str = ""
    registered_at: Optional[str] = None
    registered_by: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class UploadedData(Model):
    """``PUT /v1/datasets/:name/data``'s answer (``size`` is the JSON's ``bytes``)."""
    name: str = ""
    size: int = 0
    #: ``sha256:<hex>`` of the stored file
    fingerprint: str = ""
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _keys: ClassVar[Dict[str, str]] = {"size": "bytes"}


# ---- audit ----

@dataclass
class AuditEntry(Model):
    seq: int = 0
    at: Optional[str] = None
    actor: Optional[str] = None
    action: str = ""
    account: Optional[str] = None
    dataset: Optional[str] = None
    purpose: Optional[str] = None
    events: Optional[List[Dict[str, Any]]] = None
    outcome: Optional[str] = None
    detail: Optional[Dict[str, Any]] = None
    leaf_hash: Optional[str] = None
    chain_hash: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class AuditPage(Model):
    entries: List[AuditEntry] = field(default_factory=list)
    #: the log's signed tree head
    head: Optional[Dict[str, Any]] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _nested: ClassVar[Dict[str, Tuple[Type[Model], bool]]] = {"entries": (AuditEntry, True)}


@dataclass
class AuditEntryWithProof(Model):
    entry: Optional[AuditEntry] = None
    #: the RFC 6962 inclusion proof: ``seq``, ``leafHash``, ``head``, ``proof`` (the sibling hashes)
    proof: Optional[Dict[str, Any]] = None
    head: Optional[Dict[str, Any]] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _nested: ClassVar[Dict[str, Tuple[Type[Model], bool]]] = {"entry": (AuditEntry, False)}


@dataclass
class AuditVerification(Model):
    ok: bool = False
    size: int = 0
    budget: Optional[Dict[str, Any]] = None
    problems: List[Any] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class AuditExport(Model):
    entries: List[AuditEntry] = field(default_factory=list)
    head: Optional[Dict[str, Any]] = None
    #: the log's public key (hex)
    public_key: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _nested: ClassVar[Dict[str, Tuple[Type[Model], bool]]] = {"entries": (AuditEntry, True)}


# ---- jobs ----

@dataclass
class Job(Model):
    id: str = ""
    org: str = ""
    #: ``train``, ``synth``, ``simulate`` or ``coordinator``
    kind: str = ""
    #: ``queued``, ``running``, ``succeeded``, ``failed`` or ``cancelled``
    state: str = ""
    submitted_by: Optional[str] = None
    priority: int = 0
    attempts: int = 0
    max_attempts: int = 0
    timeout_seconds: int = 0
    #: the job's reservation: ``{"id", "account", "reservation": "reserved" | "consumed" | "refunded"}``
    spend: Optional[Dict[str, Any]] = None
    cancel_requested: bool = False
    #: the job's result once it succeeded (a training job's summary and its files with their fingerprints)
    result: Optional[Dict[str, Any]] = None
    #: ``{"code", "message"}`` of a failed job
    error: Optional[Dict[str, Any]] = None
    created_at: Optional[str] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def done(self) -> bool:
        """Whether the job is in a final state."""
        return self.state in FINAL_JOB_STATES

    @property
    def summary(self) -> Dict[str, Any]:
        """The result's ``summary`` (empty until the job succeeded)."""
        return dict((self.result or {}).get("summary") or {})

    @property
    def files(self) -> List[Dict[str, str]]:
        """The files the job wrote: ``[{"name", "fingerprint"}, …]``."""
        return list((self.result or {}).get("files") or [])


@dataclass
class JobProgress(Model):
    """A job's progress event as stored: its sequence number, when, and the job's event."""
    seq: int = 0
    at: Optional[str] = None
    #: the event: ``kind`` (``train-epoch``, ``train-step``, ``ledger``, ``note``, ``warning``, ``progress``, …)
    #: and its fields
    event: Dict[str, Any] = field(default_factory=dict)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return str(self.event.get("kind", ""))


class JobFile(NamedTuple):
    """A file a job wrote, with the fingerprint the service sent (``veil-fingerprint``, ``sha256:<hex>``)."""
    content: bytes
    fingerprint: Optional[str]

    @property
    def sha256(self) -> str:
        """``sha256:<hex>`` of the bytes received."""
        return "sha256:" + hashlib.sha256(self.content).hexdigest()

    def verify(self) -> bool:
        """Whether the bytes received are the ones the service fingerprinted."""
        return self.fingerprint is not None and self.fingerprint.lower() == self.sha256


# ---- webhooks ----

@dataclass
class Webhook(Model):
    id: str = ""
    url: str = ""
    kinds: List[str] = field(default_factory=list)
    threshold: float = 0.0
    created_at: Optional[str] = None
    created_by: Optional[str] = None
    disabled_at: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class CreatedWebhook(Model):
    """``POST /v1/webhooks``' answer: the HMAC secret (base64), shown this once."""
    webhook: Optional[Webhook] = None
    secret: str = ""
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _nested: ClassVar[Dict[str, Tuple[Type[Model], bool]]] = {"webhook": (Webhook, False)}
