"""One error hierarchy for the whole system.

Every error carries a stable ``code`` that scripts and API clients can rely on, and a ``detail`` written
for the person who made the mistake: it names the file, row, field or key at fault.
"""

from __future__ import annotations

from typing import ClassVar


class LeadpactError(Exception):
    """Base of every error a user can cause; the CLI prints ``detail`` and exits 2."""

    code: ClassVar[str] = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidAgreement(LeadpactError):
    """The agreement file breaks the format; ``problems`` lists each one with file, line and key."""

    code = "agreement_invalid"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class NoAgreement(LeadpactError):
    code = "no_agreement"


class NotFound(LeadpactError):
    code = "not_found"


class InvalidInput(LeadpactError):
    """A value given is wrong. ``field`` names it as the service knows it (``by``, ``amount``, ``team``) and
    ``problem`` says what is wrong with it; ``detail`` is both, ``field: problem``. Each edge may word the field
    its own way: the CLI as its option (``--by``), a page next to its input."""

    code = "invalid_input"

    def __init__(self, problem: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.problem = problem
        self.field = field


class IllegalTransition(LeadpactError):
    code = "illegal_transition"


class UnknownReason(LeadpactError):
    code = "unknown_reason"


class NotReady(LeadpactError):
    """The answers do not make the lead ready for sales under the agreement's screening; ``question`` names the
    first answer that fails and the detail the answers that would do."""

    code = "not_ready"

    def __init__(self, detail: str, question: str) -> None:
        super().__init__(detail)
        self.question = question


class NotAuthenticated(LeadpactError):
    """No valid session or API token came with the request, or the login was wrong."""

    code = "not_authenticated"


class NotPermitted(LeadpactError):
    """The person or token is known, but their role may not do this (or not to this lead)."""

    code = "not_permitted"


class CsrfFailed(LeadpactError):
    """A form came without the token of the session that was shown it."""

    code = "csrf_failed"


class Throttled(LeadpactError):
    """Too many attempts in a short time; ``retry_after`` says in how many seconds to try again."""

    code = "too_many_requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Conflict(LeadpactError):
    code = "conflict"


class ImportRejected(LeadpactError):
    """A CSV file had bad rows; nothing of it was stored. ``problems`` has one line per bad field."""

    code = "import_rejected"

    def __init__(self, source: str, problems: list[str]) -> None:
        shown = problems[:50]
        more = f"\n... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(f"{source}: {len(problems)} problem(s), nothing was imported:\n" + "\n".join(shown) + more)
        self.problems = problems
