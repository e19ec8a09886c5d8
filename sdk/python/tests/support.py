"""Shared by the live tests: the service started by scripts/with-service.mjs (VEIL_URL, VEIL_API_KEY,
VEIL_DATASETS), clients of each role, and the organisation's root budget account."""
from __future__ import annotations

import os
import unittest
import uuid
from typing import Dict, Optional

from veil_client import Client, VeilApiError

ORG = os.environ.get("VEIL_ORG", "acme")
_clients: Dict[str, Client] = {}


def require_service() -> None:
    if not os.environ.get("VEIL_URL") or not os.environ.get("VEIL_API_KEY"):
        raise unittest.SkipTest("no live service: run under node scripts/with-service.mjs -- …")


def datasets_dir() -> str:
    d = os.environ.get("VEIL_DATASETS")
    if not d or not os.path.exists(os.path.join(d, "adult", "adult.csv")):
        raise unittest.SkipTest("VEIL_DATASETS with adult/adult.csv is not there")
    return d


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def admin() -> Client:
    require_service()
    if "admin" not in _clients:
        _clients["admin"] = Client(os.environ["VEIL_URL"], os.environ["VEIL_API_KEY"], timeout=60)
    return _clients["admin"]


def client_for(role: str) -> Client:
    """A client with the key of a new principal of ``role`` (one per role and test run)."""
    if role == "admin":
        return admin()
    if role not in _clients:
        a = admin()
        p = a.create_principal(unique(role.replace("-", "") + "_"), role)
        _clients[role] = Client(a.base_url, a.create_key(p.id, label=f"sdk tests {role}").api_key, timeout=60)
    return _clients[role]


def ensure_root(epsilon: float = 100.0) -> None:
    """The organisation's root account, which every test account is below."""
    a = admin()
    if ORG not in {acc.path for acc in a.list_accounts()}:
        try:
            a.create_account(ORG, epsilon, 1e-5)
        except VeilApiError:
            if ORG not in {acc.path for acc in a.list_accounts()}:
                raise


def account(name: Optional[str] = None, epsilon: float = 5.0, delta: float = 1e-5) -> str:
    """A fresh account below the root; returns its path."""
    ensure_root()
    path = f"{ORG}/{name or unique('t')}"
    client_for("data-steward").create_account(path, epsilon, delta)
    return path
