"""The client's errors: a refusal of the service, or a request that got no answer."""
from __future__ import annotations

from typing import Optional

#: Codes the client itself gives, for requests without a service's answer (or with one that is not the API's).
CLIENT_ERROR_CODES = ("timeout", "network_error", "bad_response")


class VeilApiError(Exception):
    """A refused or failed request.

    ``code`` is the service's stable error code (``budget_exceeded``, ``forbidden``, ``not_found``, …, the
    table in docs/server.md "Error codes"), ``status`` the HTTP status (0 when no answer came), ``message`` the
    service's message, ``request_id`` the ``x-request-id`` the service answered with (quote it to an operator).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        method: str = "",
        path: str = "",
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.path = path
        self.request_id = request_id
        #: Seconds the service asked to wait (``Retry-After``), when it did.
        self.retry_after = retry_after
        where = f"{method} {path}: " if method else ""
        super().__init__(f"{where}{str(status) + ' ' if status else ''}{code}: {message}")

    def __reduce__(self):  # picklable despite the keyword-only arguments
        return (_rebuild, (type(self), self.status, self.code, self.message, self.method, self.path,
                           self.request_id, self.retry_after))


def _rebuild(cls, status, code, message, method, path, request_id, retry_after):
    return cls(status, code, message, method=method, path=path, request_id=request_id, retry_after=retry_after)


class VeilNetworkError(VeilApiError):
    """No answer: the service could not be reached (``network_error``) or did not answer in time (``timeout``).
    ``status`` is 0."""


def is_veil_api_error(err: BaseException, code: Optional[str] = None) -> bool:
    """Whether ``err`` is a :class:`VeilApiError`, optionally with ``code``."""
    return isinstance(err, VeilApiError) and (code is None or err.code == code)
