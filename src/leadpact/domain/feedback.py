"""Sales feedback: what a rep learned on a contact, a lost deal or a won one, in words both sides agreed on.

The agreement's ``feedback`` section lists the competitors, the product requests and the messages (the
message or campaign that opened the door) a rep may name. On a contact, a lost deal or a won deal the rep
records, from those lists, the competitor met (one at most), the product requests (any number, each once) and
the message, plus a free note. A message may also be the name of a campaign marketing runs, so a rep can credit
the campaign itself. A value outside the lists is refused with the values allowed; feedback that names nothing
is refused too. Without a ``feedback`` section there is nothing to record.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from leadpact.domain.agreement import FeedbackLists
from leadpact.domain.errors import InvalidInput

NOTE_LENGTH = 2_000
"""The longest note kept, in characters: a few paragraphs, not a transcript."""


class Moment(StrEnum):
    """When feedback is recorded."""

    CONTACT = "contact"
    LOST = "lost"
    WON = "won"


@dataclass(frozen=True)
class Given:
    """Feedback as a rep gives it, before it is checked."""

    competitor: str | None = None
    requests: tuple[str, ...] = ()
    message: str | None = None
    note: str | None = None

    def is_empty(self) -> bool:
        return not (self.competitor or self.requests or self.message or (self.note and self.note.strip()))


def moment_of(value: str) -> Moment:
    """The moment named, or InvalidInput naming the moments there are."""
    try:
        return Moment(value)
    except ValueError:
        raise InvalidInput(f"'{value}' is not one of {', '.join(m.value for m in Moment)}", "moment") from None


def _one_of(value: str, allowed: Sequence[str], field: str, what: str) -> None:
    if value not in allowed:
        offered = ", ".join(allowed) if allowed else "none (the agreement lists none)"
        raise InvalidInput(f"'{value}' is not {what} the agreement lists; use one of: {offered}", field)


def check(lists: FeedbackLists | None, given: Given, campaigns: Collection[str] = ()) -> Given:
    """The feedback as it is kept (requests in the order given, each once; the note trimmed, none if blank),
    or InvalidInput naming the field and the values allowed. ``campaigns`` are the campaign names a message may
    also name."""
    if lists is None:
        raise InvalidInput("the agreement in force has no feedback section: there are no lists to record from")
    if given.is_empty():
        raise InvalidInput("name a competitor, a product request or a message, or write a note")
    if given.competitor is not None:
        _one_of(given.competitor, lists.competitors, "competitor", "a competitor")
    for request in given.requests:
        _one_of(request, lists.product_requests, "requests", "a product request")
    if given.message is not None and given.message not in campaigns:
        _one_of(given.message, lists.messages, "message", "a message (nor a campaign)")
    note = (given.note or "").strip() or None
    if note is not None and len(note) > NOTE_LENGTH:
        raise InvalidInput(f"a note is at most {NOTE_LENGTH} characters; this one has {len(note)}", "note")
    if note is not None and "\x00" in note:  # no database keeps it in text
        raise InvalidInput("a note cannot hold the NUL character", "note")
    return Given(given.competitor, tuple(dict.fromkeys(given.requests)), given.message, note)


LISTS = (("competitors", "competitors"), ("product_requests", "product requests"), ("messages", "messages"))
"""The feedback section's lists: (key, in words)."""


def describe(lists: FeedbackLists | None, key: str) -> str:
    """One of the lists in words: its values, or "none"."""
    values: tuple[str, ...] = getattr(lists, key) if lists is not None else ()
    return ", ".join(values) or "none"
