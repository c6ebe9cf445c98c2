"""Free-mail rules judged a column at a time give ``conditions.holds``'s verdict on every email."""

from __future__ import annotations

import pyarrow as pa  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadpact.analytics.rescore import _judgements
from leadpact.domain.agreement import Condition, FitRule, Op
from leadpact.domain.conditions import holds
from leadpact.domain.fields import FREE_MAIL_DOMAINS

RULES = (
    FitRule("free-mail", Condition("email", Op.FREE_MAIL, True), -20),
    FitRule("company-mail", Condition("email", Op.FREE_MAIL, False), 5),
)
DOMAINS = st.one_of(
    st.sampled_from(sorted(FREE_MAIL_DOMAINS)),
    st.sampled_from(("GMail.COM", " gmail.com", "gmail.com ", "gmail.com\n", "acme.example", "")),
    st.sampled_from(("\uff27\uff2d\uff21\uff29\uff2c.com", "g\u00admail.com")),  # full-width letters, a soft hyphen
    st.sampled_from(("hotmail.co.uK", "hotmail.co.u\u212a", "yahoo.\u0130t", "t-online.de", "web.de\t")),
    st.text(max_size=12),
)


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.text(max_size=8))
    if draw(st.booleans()):
        return local  # no '@' at all
    return f"{local}@{draw(DOMAINS)}"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(emails(), max_size=30))
def test_free_mail_rules_judged_by_column_give_the_verdicts_of_holds(values: list[str]) -> None:
    distinct = list(dict.fromkeys(values))
    judged = _judgements(RULES, pa.chunked_array([pa.array(distinct, pa.string())]), "v").to_pylist()
    expected = [
        {"v": value, **{f"v_{i}": holds(rule.condition, value) for i, rule in enumerate(RULES)}}
        for value in distinct
        if any(holds(rule.condition, value) for rule in RULES)
    ]
    assert judged == expected
