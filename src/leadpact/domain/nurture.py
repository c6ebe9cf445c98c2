"""Nurture sequences: emails that keep a lead warm until it is ready for sales, and stop the moment it is.

A sequence file holds named sequences. Each has an entry (a reject or lost reason of the agreement: leads recycled
with it enter; ``below_floor``: inquiries the qualification rule has not made MQLs; ``list``: only people enrolled
by hand) and numbered steps. A step is an email (a subject and a plain text body, Jinja2 templates over the lead's
fields) sent after waiting ``wait_days`` working days of the agreement's calendar since the step before (since the
entry for the first). The links in a step's body are its own targets: a click is followed only to one of them.
A step may branch on what the lead did with its email: ``on: {email_click: 4}`` goes to step 4 next, instead of
the step after, once the email is clicked. Branches go forward only, so every sequence ends.

A lead leaves its sequence at once, and nothing more is sent, when it qualifies (any stage from MQL on), is
assigned to a rep, is disqualified, unsubscribes or bounces; a message is sent only to a person who consented to
marketing email and whose address is not suppressed. Those exits are fixed: no sequence can turn them off. A lead
a qualifier screens (any stage but inquiry and recycled) leaves too: it is in a person's hands.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import yaml
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from leadpact.domain.agreement_file import _Reader
from leadpact.domain.errors import InvalidAgreement, InvalidInput

BELOW_FLOOR = "below_floor"
LIST = "list"
BRANCH_EVENTS = ("email_open", "email_click")
FIELDS = ("first_name", "last_name", "email", "title", "company", "industry", "country", "source")
"""The lead's fields a template may use, besides ``fields`` (its custom fields, e.g. ``fields.segment``)."""
OPEN_STAGES = ("inquiry", "recycled")
"""The stages a lead in a sequence is in; any other stage ends its sequence."""
QUALIFIED_STAGES = ("mql", "sal", "sql", "opportunity", "customer")
LINK = re.compile(r"https?://[^\s<>\"'{}]+")
_TRAILING = ".,;:!?)"
_MADE_LINK = re.compile(r"https?://[^\s<>\"']*\{[{%]")
"""A link with a template expression in it: its target would not be known before it is written."""

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """A step's template, compiled once: every email of the step renders the same source."""
    return _env.from_string(source)


@dataclass(frozen=True)
class Step:
    number: int
    wait_days: float
    subject: str
    body: str
    branches: Mapping[str, int] = field(default_factory=dict)

    @property
    def targets(self) -> tuple[str, ...]:
        """The links written in the body: the only places a click on this step's email leads to."""
        return links_in(self.body)


@dataclass(frozen=True)
class Sequence:
    name: str
    entry: str
    steps: tuple[Step, ...]

    def step(self, number: int) -> Step | None:
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None

    def next_step(self, number: int, event: str | None = None) -> int | None:
        """The step after ``number``: the branch its email's ``event`` takes, else the next one; None at the end."""
        current = self.steps[number - 1]
        if event is not None and event in current.branches:
            return current.branches[event]
        return number + 1 if number < len(self.steps) else None


@dataclass(frozen=True)
class NurtureFile:
    name: str
    sequences: Mapping[str, Sequence]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def links_in(text: str) -> tuple[str, ...]:
    """Every distinct http(s) link in the text, in order of appearance, without trailing punctuation."""
    found: list[str] = []
    for match in LINK.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if url not in found:
            found.append(url)
    return tuple(found)


def exit_reason(stage: str, assigned: bool, suppressed: str | None) -> str | None:
    """Why a lead must leave its sequence now, or None while it may still be sent the next step."""
    if stage in QUALIFIED_STAGES:
        return "qualified"
    if stage not in OPEN_STAGES:
        return stage  # disqualified, or in a qualifier's hands (screening)
    if assigned:
        return "assigned"
    return suppressed


def render(step: Step, values: Mapping[str, object], custom: Mapping[str, str], link: Callable[[str], str]) -> Rendered:
    """The step's email for a lead: its fields (``values``) and custom fields filled in, and each of the step's
    links replaced by ``link(url)`` (a tracked redirect to it). A missing field is empty."""
    context: dict[str, object] = {name: _text(values.get(name)) for name in FIELDS}
    context["fields"] = defaultdict(str, custom)  # a custom field the lead lacks is empty, as a field is
    try:
        subject = _compiled(step.subject).render(context)
        body = _compiled(step.body).render(context)
    except (UndefinedError, SecurityError) as exc:
        raise InvalidInput(f"step {step.number} cannot be written: {exc}", "template") from exc
    targets = set(step.targets)

    def tracked(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(_TRAILING)
        return (link(url) if url in targets else url) + match.group(0)[len(url) :]

    return Rendered(" ".join(subject.split()), LINK.sub(tracked, body))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def parse_nurture(text: str, source: str = "<nurture>", reasons: frozenset[str] | None = None) -> NurtureFile:
    """Parse and validate a sequence file; raise ``InvalidAgreement`` listing every problem as
    ``FILE:LINE: key: problem``. With ``reasons`` (the agreement's recycling reasons), an entry must be one."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise InvalidAgreement([f"{source}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from exc
    if root is None:
        raise InvalidAgreement([f"{source}:1: the file is empty"])
    r = _Reader(source)
    parsed = _file(r, root, reasons)
    if r.problems or parsed is None:
        raise InvalidAgreement(r.problems)
    return parsed


def _file(r: _Reader, root: yaml.Node, reasons: frozenset[str] | None) -> NurtureFile | None:
    if not isinstance(root, yaml.MappingNode):
        r.fail(root, "(top)", "expected a mapping with the keys nurture and sequences")
        return None
    top = r.mapping(root, "", required=("nurture", "sequences"))
    assert top is not None  # a mapping node always gives its keys
    name = r.text(top["nurture"], "nurture") if "nurture" in top else None
    sequences: dict[str, Sequence] = {}
    for i, node in enumerate(r.seq(top["sequences"], "sequences") or []) if "sequences" in top else []:
        found = _sequence(r, node, f"sequences[{i}]", reasons)
        if found is None:
            continue
        if found.name in sequences:
            r.fail(node, f"sequences[{i}].name", f"sequence '{found.name}' appears twice")
        sequences[found.name] = found
    if "sequences" in top and not sequences and not r.problems:
        r.fail(top["sequences"], "sequences", "at least one sequence is required")
    return NurtureFile(name, sequences) if name is not None else None


def _sequence(r: _Reader, node: yaml.Node, path: str, reasons: frozenset[str] | None) -> Sequence | None:
    m = r.mapping(node, path, required=("name", "entry", "steps"))
    if m is None:
        return None
    name = r.name(m["name"], f"{path}.name") if "name" in m else None
    entry = r.name(m["entry"], f"{path}.entry") if "entry" in m else None
    if entry is not None and reasons is not None and entry not in (*reasons, BELOW_FLOOR, LIST):
        allowed = ", ".join((*sorted(reasons), BELOW_FLOOR, LIST))
        r.fail(m["entry"], f"{path}.entry", f"'{entry}' is not a recycling reason of the agreement; one of: {allowed}")
        entry = None
    nodes = (r.seq(m["steps"], f"{path}.steps") or []) if "steps" in m else []
    if "steps" in m and not nodes and isinstance(m["steps"], yaml.SequenceNode):
        r.fail(m["steps"], f"{path}.steps", "at least one step is required")
    steps = [_step(r, s, f"{path}.steps[{n - 1}]", n, len(nodes)) for n, s in enumerate(nodes, start=1)]
    if name is None or entry is None or None in steps or not steps:
        return None
    return Sequence(name, entry, tuple(s for s in steps if s is not None))


def _step(r: _Reader, node: yaml.Node, path: str, number: int, count: int) -> Step | None:
    m = r.mapping(node, path, required=("subject", "body"), optional=("wait_days", "on"))
    if m is None:
        return None
    wait = r.number(m["wait_days"], f"{path}.wait_days") if "wait_days" in m else 0.0
    if wait is not None and wait < 0:
        r.fail(m["wait_days"], f"{path}.wait_days", "a wait cannot be negative")
        wait = None
    subject = _template(r, m["subject"], f"{path}.subject") if "subject" in m else None
    body = _template(r, m["body"], f"{path}.body") if "body" in m else None
    if body is not None and _MADE_LINK.search(body):
        r.fail(m["body"], f"{path}.body", "a link must be written out whole, not made from fields")
        body = None
    branches = _branches(r, m["on"], f"{path}.on", number, count) if "on" in m else {}
    if wait is None or subject is None or body is None or branches is None:
        return None
    return Step(number, wait, subject, body, branches)


def _template(r: _Reader, node: yaml.Node, path: str) -> str | None:
    source = r.text(node, path)
    if source is None:
        return None
    first = node.start_mark.line + (1 if getattr(node, "style", None) in ("|", ">") else 0)
    try:
        parsed = _env.parse(source)
    except TemplateSyntaxError as exc:
        line = first + (exc.lineno or 1)
        r.problems.append(f"{r.source}:{line}: {path}: not a valid template: {exc.message}")
        return None
    unknown = sorted(meta.find_undeclared_variables(parsed) - {*FIELDS, "fields"})
    if unknown:
        known = ", ".join((*FIELDS, "fields.<custom field>"))
        r.fail(node, path, f"unknown field(s) {', '.join(unknown)}; a template may use: {known}")
        return None
    return source


def _branches(r: _Reader, node: yaml.Node, path: str, number: int, count: int) -> dict[str, int] | None:
    m = r.open_mapping(node, path)
    if m is None:
        return None
    out: dict[str, int] = {}
    for event, target in m.items():
        if event not in BRANCH_EVENTS:
            r.fail(target, f"{path}.{event}", f"unknown event; a step branches on: {', '.join(BRANCH_EVENTS)}")
            continue
        goto = r.positive_int(target, f"{path}.{event}")
        if goto is not None and not number < goto <= count:
            r.fail(target, f"{path}.{event}", f"step {goto} is not a later step of this {count}-step sequence")
            goto = None
        if goto is not None:
            out[event] = goto
    return out if len(out) == len(m) else None
