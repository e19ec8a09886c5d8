"""The Python client of the Veil service (``veil serve``): one method per route of its HTTP API.

    from veil_client import Client
    veil = Client("http://127.0.0.1:8080", "veil_…")
    print(veil.me())

See docs/sdk-python.md.
"""
__version__ = "0.1.0"

from .client import Client  # noqa: E402
from .errors import CLIENT_ERROR_CODES, VeilApiError, VeilNetworkError, is_veil_api_error  # noqa: E402
from .models import (  # noqa: E402
    FINAL_JOB_STATES,
    Account,
    AccountPage,
    AccountStatus,
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
    Model,
    Organisation,
    Principal,
    SpendReceipt,
    SpendRecord,
    SpendResult,
    UploadedData,
    Webhook,
)
from .routes import ROUTES_COVERED  # noqa: E402

__all__ = [
    "Client", "VeilApiError", "VeilNetworkError", "is_veil_api_error", "CLIENT_ERROR_CODES", "ROUTES_COVERED",
    "FINAL_JOB_STATES", "Account", "AccountPage", "AccountStatus", "ApiKey", "AuditEntry", "AuditEntryWithProof",
    "AuditExport", "AuditPage", "AuditVerification", "CreatedApiKey", "CreatedWebhook", "Dataset", "Job",
    "JobFile", "JobProgress", "Me", "Model", "Organisation", "Principal", "SpendReceipt", "SpendRecord",
    "SpendResult", "UploadedData", "Webhook",
]
