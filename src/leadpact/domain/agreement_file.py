"""Reading an agreement file, strictly.

The file is YAML, but read with the schema in charge of types: ``yes`` stays the text "yes" where the
agreement expects text, unquoted numbers are numbers, and nothing is guessed. Every problem is reported at
once, each as ``FILE:LINE: key.path: what is wrong``; unknown keys are problems too, so a typo never silently
turns a rule off.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from datetime import date, time
from typing import TypeVar

import yaml

from leadpact.domain.agreement import (
    ACCOUNT_OWNER_MODES,
    BUYING_GROUP,
    ROUTING_ONLY_FIELDS,
    AccountRule,
    Agreement,
    Band,
    Condition,
    Duration,
    EventRule,
    FeedbackLists,
    FitRule,
    Grade,
    Handoff,
    HealthBound,
    Indicator,
    Op,
    Qualification,
    RejectReason,
    RoutingRule,
    SalesStage,
    Scalar,
    Screening,
    ScreeningWhen,
    WorkingHours,
)
from leadpact.domain.conditions import Value, read_value
from leadpact.domain.errors import InvalidAgreement
from leadpact.domain.fields import PREDICTED, PREDICTED_OPS, field_problem
from leadpact.domain.health import DEFAULT_WINDOW_DAYS, spec

T = TypeVar("T")

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([hd])$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
TITLE_LENGTH = 80


class _Reader:
    """Walks the YAML node tree, converting values and collecting problems with their lines."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def fail(self, node: yaml.Node | None, path: str, message: str) -> None:
        line = f"{node.start_mark.line + 1}" if node is not None else "1"
        self.problems.append(f"{self.source}:{line}: {path}: {message}")

    def mapping(
        self, node: yaml.Node, path: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
    ) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, "expected a mapping of keys to values")
            return None
        return self._keys(node, path, required, optional, open_keys=False)

    def open_mapping(self, node: yaml.Node, path: str) -> dict[str, yaml.Node] | None:
        """A mapping whose keys are names chosen by the agreement's authors (event types, reasons, ...)."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, "expected a mapping of names to values")
            return None
        return self._keys(node, path, (), (), open_keys=True)

    def _keys(
        self,
        node: yaml.MappingNode,
        path: str,
        required: tuple[str, ...],
        optional: tuple[str, ...],
        open_keys: bool,
    ) -> dict[str, yaml.Node]:
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            where = f"{path}.{key}" if path else key
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, path or "(top)", "keys must be plain names")
            elif key in out:
                self.fail(key_node, where, "key appears twice")
            elif not open_keys and key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                self.fail(key_node, where, f"unknown key; expected one of: {allowed}")
            elif open_keys and not _NAME.match(key):
                self.fail(key_node, where, "names are lower case letters, digits, '_' and '-'")
            else:
                out[key] = value_node
        for key in required:
            if key not in out:
                self.fail(node, f"{path}.{key}" if path else key, "required key is missing")
        return out

    def seq(self, node: yaml.Node, path: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, path, "expected a list")
            return None
        return list(node.value)

    def scalar(self, node: yaml.Node, path: str) -> Scalar | None:
        """A value compared with lead data: quoted is text; plain may be a number or true/false."""
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, path, "expected a single value")
            return None
        raw = str(node.value)
        if node.style in ("'", '"'):
            return raw
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if _INT.match(raw):
            return int(raw)
        if _FLOAT.match(raw):
            return float(raw)
        if raw in ("", "~", "null"):
            self.fail(node, path, "a value is required")
            return None
        return raw

    def text(self, node: yaml.Node, path: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.value in ("", "~", "null"):
            self.fail(node, path, "expected text")
            return None
        return str(node.value)

    def name(self, node: yaml.Node, path: str) -> str | None:
        value = self.text(node, path)
        if value is not None and not _NAME.match(value):
            self.fail(node, path, f"'{value}' is not a name (lower case letters, digits, '_' and '-')")
            return None
        return value

    def number(self, node: yaml.Node, path: str) -> float | None:
        value = self.scalar(node, path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(node, path, f"expected a number, got {_show(node)}")
            return None
        return float(value)

    def positive_int(self, node: yaml.Node, path: str) -> int | None:
        value = self.scalar(node, path)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(node, path, f"expected a whole number of at least 1, got {_show(node)}")
            return None
        return value

    def flag(self, node: yaml.Node, path: str) -> bool | None:
        value = self.scalar(node, path)
        if not isinstance(value, bool):
            self.fail(node, path, f"expected true or false, got {_show(node)}")
            return None
        return value

    def names(self, node: yaml.Node, path: str) -> list[str]:
        items = self.seq(node, path)
        if items is None:
            return []
        out = [self.text(item, f"{path}[{i}]") for i, item in enumerate(items)]
        return [o for o in out if o is not None]

    def each(self, node: yaml.Node, path: str, read: Callable[[yaml.Node, str], T | None]) -> list[T]:
        items = self.seq(node, path)
        if items is None:
            return []
        out = [read(item, f"{path}[{i}]") for i, item in enumerate(items)]
        return [o for o in out if o is not None]


def _show(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return repr(str(node.value))
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def parse_agreement(text: str, source: str = "<agreement>") -> Agreement:
    """Parse and validate an agreement file; raise ``InvalidAgreement`` listing every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise InvalidAgreement([f"{source}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from exc
    if root is None:
        raise InvalidAgreement([f"{source}:1: the file is empty"])
    reader = _Reader(source)
    agreement = _Parser(reader).agreement(root)
    if reader.problems or agreement is None:
        raise InvalidAgreement(reader.problems)
    return agreement


class _Parser:
    def __init__(self, reader: _Reader) -> None:
        self.r = reader
        self.model: int | None = None  # the lead model version the agreement names

    def agreement(self, root: yaml.Node) -> Agreement | None:
        r = self.r
        top = r.mapping(
            root,
            "",
            required=(
                "agreement",
                "owners",
                "timezone",
                "working_hours",
                "fit",
                "engagement",
                "qualified",
                "priority",
                "handoff",
                "reasons",
                "sales_stages",
            ),
            optional=("holidays", "questions", "sales_sources", "health", "model", "feedback", "screening", "accounts"),
        )
        if top is None:
            return None
        self.model = r.positive_int(top["model"], "model") if "model" in top else None
        name = r.text(top["agreement"], "agreement") if "agreement" in top else None
        owners = self.owners(top["owners"]) if "owners" in top else None
        tz = self.timezone(top["timezone"]) if "timezone" in top else None
        hours = self.working_hours(top["working_hours"]) if "working_hours" in top else None
        holidays = self.holidays(top["holidays"]) if "holidays" in top else ()
        questions = self.questions(top["questions"]) if "questions" in top else {}
        sales_sources = self.sales_sources(top["sales_sources"]) if "sales_sources" in top else ()
        fit = self.fit(top["fit"], questions) if "fit" in top else None
        engagement = self.engagement(top["engagement"]) if "engagement" in top else None
        stages = r.each(top["sales_stages"], "sales_stages", self.stage) if "sales_stages" in top else []
        grade_names = tuple(g.grade for g in fit[1]) if fit else ()
        qualified = self.qualified(top["qualified"], grade_names) if "qualified" in top else None
        health = self.health(top["health"], grade_names) if "health" in top else ()
        feedback = self.feedback(top["feedback"]) if "feedback" in top else None
        priority = self.priority(top["priority"]) if "priority" in top else None
        handoff = self.handoff(top["handoff"], questions, priority or ()) if "handoff" in top else None
        accounts = self.account_rule(top["accounts"]) if "accounts" in top else None
        if handoff is not None and accounts is None and "accounts" not in top:
            for i, rule in enumerate(handoff.routing):
                if rule.when is not None and rule.when.field == BUYING_GROUP:
                    r.fail(top["handoff"], f"handoff.routing[{i}].when", f"{BUYING_GROUP} needs accounts.qualify")
        named = self.stage_names(top["sales_stages"]) if "sales_stages" in top else []
        reasons = self.reasons(top["reasons"], named) if "reasons" in top else None
        screening = (
            self.screening(top["screening"], questions, grade_names, reasons[0] if reasons else None)
            if "screening" in top
            else None
        )
        self.unique([s.name for s in stages], top.get("sales_stages"), "sales_stages", "stage name")
        if not stages and "sales_stages" in top:
            r.fail(top["sales_stages"], "sales_stages", "at least one sales stage is required")
        if (
            name is None
            or owners is None
            or tz is None
            or hours is None
            or fit is None
            or engagement is None
            or qualified is None
            or priority is None
            or handoff is None
            or reasons is None
            or ("screening" in top and screening is None)
            or ("accounts" in top and accounts is None)
            or r.problems
        ):
            return None
        return Agreement(
            name=name,
            owners=owners,
            timezone=tz,
            working_hours=hours,
            holidays=holidays,
            fit_rules=fit[0],
            grades=fit[1],
            half_life_days=engagement[0],
            events=engagement[1],
            qualified=qualified,
            priority=priority,
            questions=questions,
            handoff=handoff,
            reject_reasons=reasons[0],
            lost_reasons=reasons[1],
            sales_stages=tuple(stages),
            sales_sources=sales_sources,
            health=health,
            model=self.model,
            feedback=feedback,
            screening=screening,
            accounts=accounts,
        )

    def unique(self, names: list[str], node: yaml.Node | None, path: str, what: str) -> None:
        seen: set[str] = set()
        for n in names:
            if n in seen:
                self.r.fail(node, path, f"{what} '{n}' appears twice")
            seen.add(n)

    def owners(self, node: yaml.Node) -> dict[str, str] | None:
        m = self.r.mapping(node, "owners", required=("marketing", "sales"))
        if m is None:
            return None
        out = {k: self.r.text(v, f"owners.{k}") for k, v in m.items()}
        return {k: v for k, v in out.items() if v is not None} if None not in out.values() else None

    def timezone(self, node: yaml.Node) -> str | None:
        tz = self.r.text(node, "timezone")
        if tz is None:
            return None
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.r.fail(node, "timezone", f"unknown time zone '{tz}' (use an IANA name like Europe/Berlin)")
            return None
        return tz

    def clock(self, node: yaml.Node, path: str) -> time | None:
        value = self.r.text(node, path)
        match = _CLOCK.match(value or "")
        if value is not None and match is None:
            self.r.fail(node, path, f'expected a time of day as "HH:MM" (quoted), got {_show(node)}')
        return time(int(match.group(1)), int(match.group(2))) if match else None

    def working_hours(self, node: yaml.Node) -> WorkingHours | None:
        m = self.r.mapping(node, "working_hours", required=("days", "start", "end"))
        if m is None:
            return None
        days: list[int] = []
        for i, item in enumerate(self.r.seq(m["days"], "working_hours.days") or []) if "days" in m else []:
            day = self.r.text(item, f"working_hours.days[{i}]")
            if day is not None and day.lower() not in _DAYS:
                self.r.fail(item, f"working_hours.days[{i}]", f"'{day}' is not one of {', '.join(_DAYS)}")
            elif day is not None:
                days.append(_DAYS.index(day.lower()))
        start = self.clock(m["start"], "working_hours.start") if "start" in m else None
        end = self.clock(m["end"], "working_hours.end") if "end" in m else None
        if "days" in m and not days:
            self.r.fail(m["days"], "working_hours.days", "at least one working day is required")
        if start is not None and end is not None and end <= start:
            self.r.fail(m["end"], "working_hours.end", "the working day must end after it starts")
        if not days or start is None or end is None or end <= start:
            return None
        return WorkingHours(days=tuple(sorted(set(days))), start=start, end=end)

    def holidays(self, node: yaml.Node) -> tuple[date, ...]:
        out: list[date] = []
        for i, item in enumerate(self.r.seq(node, "holidays") or []):
            value = self.r.text(item, f"holidays[{i}]")
            try:
                out.append(date.fromisoformat(value or ""))
            except ValueError:
                if value is not None:
                    self.r.fail(item, f"holidays[{i}]", f"expected a date as YYYY-MM-DD, got {_show(item)}")
        return tuple(sorted(set(out)))

    def questions(self, node: yaml.Node) -> dict[str, tuple[str, ...]]:
        m = self.r.open_mapping(node, "questions") or {}
        out: dict[str, tuple[str, ...]] = {}
        for key, value in m.items():
            answers = self.r.names(value, f"questions.{key}")
            if not answers:
                self.r.fail(value, f"questions.{key}", "list at least one possible answer")
            out[key] = tuple(answers)
        return out

    def sales_sources(self, node: yaml.Node) -> tuple[str, ...]:
        """The lead sources sales prospects itself; an empty list names none."""
        out: list[str] = []
        seen: set[str] = set()
        for i, item in enumerate(self.r.seq(node, "sales_sources") or []):
            where = f"sales_sources[{i}]"
            value = self.r.text(item, where)
            if value is None:
                continue
            source = value.strip()
            if not source:
                self.r.fail(item, where, "expected text")
            elif source.lower() in seen:  # sources compare without regard to case
                self.r.fail(item, where, f"source '{source}' appears twice")
            else:
                seen.add(source.lower())
                out.append(source)
        return tuple(out)

    def condition(
        self,
        m: dict[str, yaml.Node],
        node: yaml.Node,
        path: str,
        questions: dict[str, tuple[str, ...]],
        also: tuple[str, ...] = (),
    ) -> Condition | None:
        """A condition on a lead field, or on one of ``also`` (fields only some rules may name)."""
        r = self.r
        field_name = r.text(m["field"], f"{path}.field") if "field" in m else None
        if (
            field_name is not None
            and field_name not in also
            and (problem := field_problem(field_name, tuple(questions)))
        ):
            r.fail(m["field"], f"{path}.field", problem)
            field_name = None
        ops = [k for k in m if k in Op.__members__.values()]
        if len(ops) != 1:
            r.fail(node, path, f"give exactly one condition of: {', '.join(o.value for o in Op)}")
            return None
        op = Op(ops[0])
        value = read_value(r, op, m[op.value], f"{path}.{op.value}")
        if field_name == PREDICTED:
            self.check_predicted(m, op, value, path)
        if field_name is None or value is None:
            return None
        return Condition(field=field_name, op=op, value=value)

    def check_predicted(self, m: dict[str, yaml.Node], op: Op, value: Value | None, path: str) -> None:
        """A condition on the model's probability: the agreement names the model, and compares it as a number
        from 0 to 1 (or asks whether the lead has one)."""
        if self.model is None:
            self.r.fail(
                m["field"],
                f"{path}.field",
                f"{PREDICTED} needs 'model: VERSION' at the top of the agreement: the lead model version both "
                "sides sign (see 'leadpact model show')",
            )
        if op.value not in PREDICTED_OPS:
            self.r.fail(
                m[op.value], f"{path}.{op.value}", f"compare {PREDICTED} with one of: {', '.join(PREDICTED_OPS)}"
            )
            return
        numbers = value if isinstance(value, tuple) else (value,)
        if op is not Op.MISSING and any(isinstance(n, float | int) and not 0 <= n <= 1 for n in numbers):
            self.r.fail(m[op.value], f"{path}.{op.value}", "a probability is from 0 to 1")

    def fit(
        self, node: yaml.Node, questions: dict[str, tuple[str, ...]]
    ) -> tuple[tuple[FitRule, ...], tuple[Grade, ...]] | None:
        m = self.r.mapping(node, "fit", required=("rules", "grades"))
        if m is None:
            return None
        rules = (
            self.r.each(m["rules"], "fit.rules", lambda n, p: self.fit_rule(n, p, questions)) if ("rules" in m) else []
        )
        self.unique([rule.id for rule in rules], m.get("rules"), "fit.rules", "rule id")
        self.unique([rule.title for rule in rules if rule.title], m.get("rules"), "fit.rules", "rule title")
        grades = self.r.each(m["grades"], "fit.grades", self.grade) if "grades" in m else []
        if "grades" in m:
            self.check_bounded_list(m["grades"], "fit.grades", [g.fit_at_least for g in grades], "fit_at_least")
            self.unique([g.grade for g in grades], m["grades"], "fit.grades", "grade")
        return (tuple(rules), tuple(grades)) if grades else None

    def check_bounded_list(self, node: yaml.Node, path: str, bounds: list[float | None], key: str) -> None:
        """Every entry but the last needs a bound, in descending order; the last catches the rest."""
        if not bounds:
            self.r.fail(node, path, "list at least one entry")
            return
        if bounds[-1] is not None:
            self.r.fail(node, path, f"the last entry must have no {key}: it takes everything below")
        if any(b is None for b in bounds[:-1]):
            self.r.fail(node, path, f"every entry but the last needs {key}")
        given = [b for b in bounds[:-1] if b is not None]
        if given != sorted(given, reverse=True):
            self.r.fail(node, path, f"entries must be in descending order of {key}")

    def fit_rule(self, node: yaml.Node, path: str, questions: dict[str, tuple[str, ...]]) -> FitRule | None:
        m = self.r.mapping(node, path, required=("id", "field", "points"), optional=("title", *(o.value for o in Op)))
        if m is None:
            return None
        rule_id = self.r.name(m["id"], f"{path}.id") if "id" in m else None
        title = self.title(m["title"], f"{path}.title") if "title" in m else None
        points = self.r.number(m["points"], f"{path}.points") if "points" in m else None
        condition = self.condition(m, node, path, questions)
        if rule_id is None or points is None or condition is None or ("title" in m and title is None):
            return None
        return FitRule(id=rule_id, condition=condition, points=points, title=title)

    def title(self, node: yaml.Node, path: str) -> str | None:
        """A rule's title: one line that people read it as, where its id is for the file."""
        value = self.r.text(node, path)
        if value is None:
            return None
        value = value.strip()
        if not value or "\n" in value or len(value) > TITLE_LENGTH:
            self.r.fail(node, path, f"a title is one line of 1 to {TITLE_LENGTH} characters")
            return None
        return value

    def grade(self, node: yaml.Node, path: str) -> Grade | None:
        m = self.r.mapping(node, path, required=("grade",), optional=("fit_at_least",))
        if m is None:
            return None
        grade = self.r.text(m["grade"], f"{path}.grade") if "grade" in m else None
        bound = self.r.number(m["fit_at_least"], f"{path}.fit_at_least") if "fit_at_least" in m else None
        if grade is None or ("fit_at_least" in m and bound is None):
            return None
        return Grade(grade=grade, fit_at_least=bound)

    def engagement(self, node: yaml.Node) -> tuple[float | None, dict[str, EventRule]] | None:
        m = self.r.mapping(node, "engagement", required=("events",), optional=("half_life_days",))
        if m is None:
            return None
        half_life = None
        if "half_life_days" in m:
            half_life = self.r.number(m["half_life_days"], "engagement.half_life_days")
            if half_life is not None and half_life <= 0:
                self.r.fail(m["half_life_days"], "engagement.half_life_days", "must be above 0")
        events: dict[str, EventRule] = {}
        for name, value in (
            (self.r.open_mapping(m["events"], "engagement.events") or {}).items() if ("events" in m) else []
        ):
            rule = self.event_rule(name, value)
            if rule is not None:
                events[name] = rule
        return half_life, events

    def event_rule(self, name: str, node: yaml.Node) -> EventRule | None:
        path = f"engagement.events.{name}"
        m = self.r.mapping(node, path, required=("points",), optional=("max_per_day", "once", "handoff"))
        if m is None:
            return None
        points = self.r.number(m["points"], f"{path}.points") if "points" in m else None
        max_per_day = self.r.positive_int(m["max_per_day"], f"{path}.max_per_day") if "max_per_day" in m else None
        once = self.r.flag(m["once"], f"{path}.once") if "once" in m else False
        immediate = False
        if "handoff" in m:
            handoff = self.r.text(m["handoff"], f"{path}.handoff")
            if handoff != "immediate":
                self.r.fail(m["handoff"], f"{path}.handoff", "the only handoff an event can ask for is 'immediate'")
            immediate = True
        if points is None or once is None or ("max_per_day" in m and max_per_day is None):
            return None
        return EventRule(type=name, points=points, max_per_day=max_per_day, once=once, immediate=immediate)

    def qualified(self, node: yaml.Node, grade_names: tuple[str, ...]) -> Qualification | None:
        m = self.r.mapping(node, "qualified", required=("score_at_least", "grades"), optional=("immediate_grades",))
        if m is None:
            return None
        threshold = self.r.number(m["score_at_least"], "qualified.score_at_least") if "score_at_least" in m else None
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("grades", "immediate_grades"):
            if key in m:
                lists[key] = tuple(self.r.names(m[key], f"qualified.{key}"))
                for g in lists[key]:
                    if grade_names and g not in grade_names:
                        self.r.fail(m[key], f"qualified.{key}", f"grade '{g}' is not one of fit.grades")
        if threshold is None or "grades" not in lists:
            return None
        return Qualification(threshold, lists["grades"], lists.get("immediate_grades", lists["grades"]))

    def priority(self, node: yaml.Node) -> tuple[Band, ...] | None:
        bands = self.r.each(node, "priority", self.band)
        self.check_bounded_list(node, "priority", [b.score_at_least for b in bands], "score_at_least")
        self.unique([b.band for b in bands], node, "priority", "band")
        return tuple(bands) if bands else None

    def band(self, node: yaml.Node, path: str) -> Band | None:
        m = self.r.mapping(node, path, required=("band",), optional=("score_at_least",))
        if m is None:
            return None
        band = self.r.name(m["band"], f"{path}.band") if "band" in m else None
        bound = self.r.number(m["score_at_least"], f"{path}.score_at_least") if "score_at_least" in m else None
        if band is None or ("score_at_least" in m and bound is None):
            return None
        return Band(band=band, score_at_least=bound)

    def duration(self, node: yaml.Node, path: str) -> Duration | None:
        value = self.r.text(node, path)
        match = _DURATION.match(value or "")
        if match is None or float(match.group(1)) <= 0:
            self.r.fail(node, path, f"expected working hours like 4h or working days like 1d, got {_show(node)}")
            return None
        return Duration(float(match.group(1)), match.group(2))

    def handoff(
        self, node: yaml.Node, questions: dict[str, tuple[str, ...]], bands: tuple[Band, ...]
    ) -> Handoff | None:
        m = self.r.mapping(
            node,
            "handoff",
            required=("accept_within", "first_contact_within", "routing"),
            optional=("on_breach", "account_owner"),
        )
        if m is None:
            return None
        accept = self.duration(m["accept_within"], "handoff.accept_within") if "accept_within" in m else None
        contact = (
            self.duration(m["first_contact_within"], "handoff.first_contact_within")
            if "first_contact_within" in m
            else None
        )
        on_breach = "reassign"
        if "on_breach" in m:
            on_breach = self.r.text(m["on_breach"], "handoff.on_breach") or on_breach
            if on_breach not in ("reassign", "escalate"):
                self.r.fail(m["on_breach"], "handoff.on_breach", f"expected reassign or escalate, got '{on_breach}'")
        account_owner = "never"
        if "account_owner" in m:
            account_owner = self.r.text(m["account_owner"], "handoff.account_owner") or account_owner
            if account_owner not in ACCOUNT_OWNER_MODES:
                modes = ", ".join(ACCOUNT_OWNER_MODES)
                self.r.fail(
                    m["account_owner"], "handoff.account_owner", f"expected one of {modes}, got '{account_owner}'"
                )
        routing = (
            self.r.each(m["routing"], "handoff.routing", lambda n, p: self.route(n, p, questions, bands))
            if ("routing" in m)
            else []
        )
        if "routing" in m:
            if not routing:
                self.r.fail(m["routing"], "handoff.routing", "list at least one routing rule")
            elif any(rule.when is None for rule in routing[:-1]):
                self.r.fail(m["routing"], "handoff.routing", "only the last routing rule may have no 'when'")
        if accept is None or contact is None or not routing:
            return None
        return Handoff(accept, contact, on_breach, tuple(routing), account_owner)

    def route(
        self, node: yaml.Node, path: str, questions: dict[str, tuple[str, ...]], bands: tuple[Band, ...]
    ) -> RoutingRule | None:
        m = self.r.mapping(node, path, required=("team",), optional=("when",))
        if m is None:
            return None
        team = self.r.name(m["team"], f"{path}.team") if "team" in m else None
        when = None
        if "when" in m:
            cm = self.r.mapping(m["when"], f"{path}.when", required=("field",), optional=tuple(o.value for o in Op))
            only = ROUTING_ONLY_FIELDS
            when = self.condition(cm, m["when"], f"{path}.when", questions, only) if cm is not None else None
            if when is None or cm is None:
                return None
            self.check_score_condition(when, cm, f"{path}.when", bands)
        return RoutingRule(team=team, when=when) if team is not None else None

    def check_score_condition(
        self, when: Condition, m: dict[str, yaml.Node], path: str, bands: tuple[Band, ...]
    ) -> None:
        """A routing rule on the priority names the agreement's bands; one on the score compares a number; one on
        the buying group equals true or false."""
        node = m[when.op.value]
        values = when.value if isinstance(when.value, tuple) else (when.value,)
        if when.field == "priority":
            names = [b.band for b in bands]
            if when.op not in (Op.EQUALS, Op.IN, Op.NOT_IN):
                self.r.fail(node, f"{path}.{when.op.value}", "compare priority with equals, in or not_in")
            for value in values:
                if names and value not in names:
                    self.r.fail(node, f"{path}.{when.op.value}", f"'{value}' is not a band; bands: {', '.join(names)}")
        elif when.field == "score" and when.op not in (Op.AT_LEAST, Op.AT_MOST, Op.BETWEEN):
            self.r.fail(node, f"{path}.{when.op.value}", "compare score with at_least, at_most or between")
        elif when.field == BUYING_GROUP and (when.op is not Op.EQUALS or not isinstance(when.value, bool)):
            self.r.fail(node, f"{path}.{when.op.value}", f"compare {BUYING_GROUP} with equals: true or equals: false")

    def account_rule(self, node: yaml.Node) -> AccountRule | None:
        """``accounts: {qualify: {engagement_at_least: X, people_engaged_at_least: N}}``."""
        m = self.r.mapping(node, "accounts", required=("qualify",))
        if m is None or "qualify" not in m:
            return None
        path = "accounts.qualify"
        q = self.r.mapping(m["qualify"], path, required=("engagement_at_least", "people_engaged_at_least"))
        if q is None:
            return None
        engagement = (
            self.r.number(q["engagement_at_least"], f"{path}.engagement_at_least")
            if "engagement_at_least" in q
            else None
        )
        if engagement is not None and engagement <= 0:
            self.r.fail(q["engagement_at_least"], f"{path}.engagement_at_least", "must be more than 0")
            engagement = None
        people = (
            self.r.positive_int(q["people_engaged_at_least"], f"{path}.people_engaged_at_least")
            if "people_engaged_at_least" in q
            else None
        )
        if engagement is None or people is None:
            return None
        return AccountRule(engagement, people)

    def reasons(
        self, node: yaml.Node, stage_names: list[str]
    ) -> tuple[dict[str, RejectReason], dict[str, tuple[str, ...]]] | None:
        m = self.r.mapping(node, "reasons", required=("reject", "lost"))
        if m is None:
            return None
        reject: dict[str, RejectReason] = {}
        for name, value in (
            (self.r.open_mapping(m["reject"], "reasons.reject") or {}).items() if ("reject" in m) else []
        ):
            reason = self.reject_reason(name, value)
            if reason is not None:
                reject[name] = reason
        lost: dict[str, tuple[str, ...]] = {}
        for stage, value in (self.r.open_mapping(m["lost"], "reasons.lost") or {}).items() if "lost" in m else []:
            if stage_names and stage not in stage_names:
                self.r.fail(value, f"reasons.lost.{stage}", f"'{stage}' is not one of sales_stages")
            names = self.r.names(value, f"reasons.lost.{stage}")
            if not names:
                self.r.fail(value, f"reasons.lost.{stage}", "list at least one reason")
            lost[stage] = tuple(names)
        for stage in stage_names:
            if "lost" in m and stage not in lost:
                self.r.fail(m["lost"], f"reasons.lost.{stage}", "every sales stage needs its list of lost reasons")
        if "reject" in m and not reject:
            self.r.fail(m["reject"], "reasons.reject", "list at least one reject reason")
        return reject, lost

    def reject_reason(self, name: str, node: yaml.Node) -> RejectReason | None:
        path = f"reasons.reject.{name}"
        m = self.r.mapping(node, path, optional=("recycle_after_days", "disqualify"))
        if m is None:
            return None
        days = (
            self.r.number(m["recycle_after_days"], f"{path}.recycle_after_days")
            if ("recycle_after_days" in m)
            else None
        )
        disqualify = self.r.flag(m["disqualify"], f"{path}.disqualify") if "disqualify" in m else False
        if days is not None and days < 0:
            self.r.fail(m["recycle_after_days"], f"{path}.recycle_after_days", "must be 0 or more")
            return None
        if (days is None) == (not disqualify):
            self.r.fail(node, path, "give either recycle_after_days or disqualify: true")
            return None
        return RejectReason(name=name, recycle_after_days=days, disqualify=bool(disqualify))

    def health(self, node: yaml.Node, grade_names: tuple[str, ...]) -> tuple[HealthBound, ...]:
        """The bounds both sides keep the agreement's results within; the section names at least one."""
        indicators = tuple(i.value for i in Indicator)
        m = self.r.mapping(node, "health", optional=("window_days", *indicators))
        if m is None:
            return ()
        window = self.r.positive_int(m["window_days"], "health.window_days") if "window_days" in m else None
        named = [Indicator(key) for key in m if key != "window_days"]
        if not named:
            self.r.fail(node, "health", f"name at least one bound of: {', '.join(indicators)}")
        bounds = [self.bound(i, m[i.value], window or DEFAULT_WINDOW_DAYS, grade_names) for i in named]
        return tuple(b for b in bounds if b is not None)

    def bound(
        self, indicator: Indicator, node: yaml.Node, window: int, grade_names: tuple[str, ...]
    ) -> HealthBound | None:
        path, s = f"health.{indicator.value}", spec(indicator)
        limit_key = s.limit.value
        given = (limit_key,) if s.default_limit is None else ()
        takes = (*s.required, *s.optional)
        m = self.r.mapping(
            node,
            path,
            required=(*given, *s.required),
            optional=(*(() if given else (limit_key,)), *s.optional, "window_days", "min_leads"),
        )
        if m is None:
            return None
        limit = self.share(m[limit_key], f"{path}.{limit_key}") if limit_key in m else s.default_limit
        days = self.r.positive_int(m["window_days"], f"{path}.window_days") if "window_days" in m else window
        min_leads = self.r.positive_int(m["min_leads"], f"{path}.min_leads") if "min_leads" in m else s.min_leads
        after = self.r.positive_int(m["after_days"], f"{path}.after_days") if "after_days" in m else None
        grades = self.bound_grades(m["grades"], f"{path}.grades", grade_names) if "grades" in m else grade_names
        if "grades" in takes and len(grades) == 1 and "grades" not in m:
            self.r.fail(node, path, "fit.grades has one grade only: there is no grade for it to beat")
        if after is not None and days is not None and after >= days:
            self.r.fail(m["after_days"], f"{path}.after_days", f"must be fewer than the {days} days of the window")
            return None
        if limit is None or days is None or min_leads is None or ("after_days" in m and after is None):
            return None
        return HealthBound(indicator, limit, days, min_leads, after, grades if "grades" in takes else ())

    def share(self, node: yaml.Node, path: str) -> float | None:
        value = self.r.number(node, path)
        if value is not None and not 0 <= value <= 1:
            self.r.fail(node, path, f"a share is between 0 and 1 (0.7 for 70 %), got {value:g}")
            return None
        return value

    def bound_grades(self, node: yaml.Node, path: str, grade_names: tuple[str, ...]) -> tuple[str, ...]:
        """At least two grades of fit.grades, best first, each once."""
        grades = self.r.names(node, path)
        unknown = [g for g in grades if grade_names and g not in grade_names]
        for g in unknown:
            self.r.fail(node, path, f"grade '{g}' is not one of fit.grades")
        self.unique(grades, node, path, "grade")
        if isinstance(node, yaml.SequenceNode) and len(grades) < 2:
            self.r.fail(node, path, "list at least two grades: each must beat the next")
        elif grade_names and not unknown and grades != sorted(grades, key=grade_names.index):
            self.r.fail(node, path, f"list the grades best first, as fit.grades does: {', '.join(grade_names)}")
        return tuple(grades)

    def feedback(self, node: yaml.Node) -> FeedbackLists | None:
        """The lists sales feedback is recorded from; each is optional, but the section names at least one."""
        keys = ("competitors", "product_requests", "messages")
        m = self.r.mapping(node, "feedback", optional=keys)
        if m is None:
            return None
        if not m:
            self.r.fail(node, "feedback", f"name at least one list of: {', '.join(keys)}")
        lists: dict[str, tuple[str, ...]] = {}
        for key, value in m.items():
            path = f"feedback.{key}"
            items = self.r.seq(value, path)
            names = [self.r.name(item, f"{path}[{i}]") for i, item in enumerate(items or [])]
            if items is not None and not items:
                self.r.fail(value, path, "list at least one value, or leave the key out")
            self.unique([n for n in names if n is not None], value, path, "value")
            lists[key] = tuple(n for n in names if n is not None)
        return FeedbackLists(**lists)

    def screening(
        self,
        node: yaml.Node,
        questions: dict[str, tuple[str, ...]],
        grade_names: tuple[str, ...],
        reject: dict[str, RejectReason] | None,
    ) -> Screening | None:
        """Which inquiries qualifiers screen, who they are, how fast they call, and the answers ready for sales."""
        m = self.r.mapping(
            node,
            "screening",
            required=("team", "first_call_within", "ready", "not_yet_days"),
            optional=("when", "gate_sql", "disqualify"),
        )
        if m is None:
            return None
        when = self.screening_when(m["when"], grade_names) if "when" in m else ScreeningWhen()
        team = self.r.name(m["team"], "screening.team") if "team" in m else None
        within = (
            self.duration(m["first_call_within"], "screening.first_call_within") if "first_call_within" in m else None
        )
        ready = self.ready(m["ready"], questions) if "ready" in m else None
        days = self.r.number(m["not_yet_days"], "screening.not_yet_days") if "not_yet_days" in m else None
        if days is not None and days < 0:
            self.r.fail(m["not_yet_days"], "screening.not_yet_days", "must be 0 or more")
        gate = self.r.flag(m["gate_sql"], "screening.gate_sql") if "gate_sql" in m else True
        disqualify = tuple(self.r.names(m["disqualify"], "screening.disqualify")) if "disqualify" in m else ()
        self.unique(list(disqualify), m.get("disqualify"), "screening.disqualify", "reason")
        for reason in disqualify:
            if reject is not None and reason in reject and not reject[reason].disqualify:
                self.r.fail(m["disqualify"], "screening.disqualify", f"'{reason}' is a reject reason that recycles")
        if "disqualify" in m and not disqualify:
            self.r.fail(m["disqualify"], "screening.disqualify", "list at least one reason, or leave the key out")
        if not disqualify and reject is not None and not any(r.disqualify for r in reject.values()):
            self.r.fail(node, "screening", "no reject reason disqualifies: list the qualifiers' reasons in disqualify")
        if when is None or team is None or within is None or ready is None or days is None or gate is None:
            return None
        return Screening(when, team, within, ready, max(days, 0.0), gate, disqualify)

    def screening_when(self, node: yaml.Node, grade_names: tuple[str, ...]) -> ScreeningWhen | None:
        path = "screening.when"
        m = self.r.mapping(node, path, optional=("score_at_least", "grades", "sources"))
        if m is None:
            return None
        score = self.r.number(m["score_at_least"], f"{path}.score_at_least") if "score_at_least" in m else None
        grades = tuple(self.r.names(m["grades"], f"{path}.grades")) if "grades" in m else None
        for g in grades or ():
            if grade_names and g not in grade_names:
                self.r.fail(m["grades"], f"{path}.grades", f"grade '{g}' is not one of fit.grades")
        sources = tuple(self.r.names(m["sources"], f"{path}.sources")) if "sources" in m else None
        for key, values in (("grades", grades), ("sources", sources)):
            if values is not None and not values:
                self.r.fail(m[key], f"{path}.{key}", "list at least one, or leave the key out")
        if "score_at_least" in m and score is None:
            return None
        return ScreeningWhen(score, grades, sources)

    def ready(self, node: yaml.Node, questions: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]] | None:
        """Per question, the answers that make a lead ready: questions and answers of the agreement's own."""
        m = self.r.open_mapping(node, "screening.ready")
        if m is None:
            return None
        if not m:
            self.r.fail(node, "screening.ready", "name at least one question and its ready answers")
        out: dict[str, tuple[str, ...]] = {}
        for key, value in m.items():
            path = f"screening.ready.{key}"
            answers = tuple(self.r.names(value, path))
            if key not in questions:
                known = ", ".join(questions) or "none"
                self.r.fail(value, path, f"'{key}' is not one of the agreement's questions ({known})")
                continue
            for answer in answers:
                if answer not in questions[key]:
                    self.r.fail(value, path, f"'{answer}' is not an answer to {key}; use: {', '.join(questions[key])}")
            if not answers:
                self.r.fail(value, path, "list at least one answer")
            out[key] = answers
        return out

    @staticmethod
    def stage_names(node: yaml.Node) -> list[str]:
        """The names the sales stages give, even of stages invalid otherwise, for checking the lost reasons."""
        if not isinstance(node, yaml.SequenceNode):
            return []
        return [
            value.value
            for item in node.value
            if isinstance(item, yaml.MappingNode)
            for key, value in item.value
            if isinstance(key, yaml.ScalarNode) and key.value == "name" and isinstance(value, yaml.ScalarNode)
        ]

    def stage(self, node: yaml.Node, path: str) -> SalesStage | None:
        m = self.r.mapping(node, path, required=("name", "probability"))
        if m is None:
            return None
        name = self.r.name(m["name"], f"{path}.name") if "name" in m else None
        probability = self.r.number(m["probability"], f"{path}.probability") if "probability" in m else None
        if probability is not None and not 0 <= probability <= 1:
            self.r.fail(m["probability"], f"{path}.probability", "a probability is between 0 and 1")
            return None
        return SalesStage(name, probability) if name is not None and probability is not None else None
