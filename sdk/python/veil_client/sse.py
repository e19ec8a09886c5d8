"""Server-sent events from a streaming HTTP response: ``id:``, ``event:`` and ``data:`` lines, blocks split by a
blank line (https://html.spec.whatwg.org/multipage/server-sent-events.html)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Iterator, List, Optional


@dataclass(frozen=True)
class ServerSentEvent:
    id: Optional[str]
    event: str
    data: str


def read_events(stream: BinaryIO) -> Iterator[ServerSentEvent]:
    """The events of ``stream`` (anything with ``readline()`` returning bytes) as they arrive."""
    ident: Optional[str] = None
    event = "message"
    data: List[str] = []
    seen = False
    while True:
        raw = stream.readline()
        if not raw:  # the stream ended; an unterminated block is dropped, as the standard says
            return
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line == "":
            if seen and (data or ident is not None):
                yield ServerSentEvent(ident, event, "\n".join(data))
            ident, event, data, seen = None, "message", [], False
            continue
        if line.startswith(":"):
            continue  # a comment (keep-alive)
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        seen = True
        if field == "id":
            ident = value
        elif field == "event":
            event = value
        elif field == "data":
            data.append(value)
