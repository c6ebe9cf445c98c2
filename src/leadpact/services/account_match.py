"""Which existing account a captured lead joins when its domain names none: the account its domain was merged into,
else the one account whose normalised name is the lead's company's (``domain.dedupe.company_key``).

Capture and import join accounts this way; the fuzzier matches (a domain under another suffix, names alike) are
only suggested, in ``leadpact dedupe``, since a wrong join would change the fit of every person of the account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from leadpact.domain.dedupe import company_key
from leadpact.store.tables import Account
from leadpact.store.unit_of_work import UnitOfWork


def joined(
    uow: UnitOfWork, known: Mapping[str, Account], wanted: Sequence[tuple[str, str | None]]
) -> dict[str, Account]:
    """For each (domain, company) wanted whose domain has no live account in ``known``, the account it joins;
    the accounts are locked as ``known``'s are."""
    session = uow.session
    merged = {domain: account.merged_into for domain, account in known.items() if account.merged_into is not None}
    names = {domain: company_key(company) for domain, company in wanted if domain not in known}
    keys = sorted({key for key in names.values() if key is not None})
    ids = sorted(set(merged.values()))
    found: dict[int, Account] = {}
    by_key: dict[str, Account] = {}
    if ids or keys:
        live = Account.merged_into.is_(None)
        query = select(Account).where(Account.id.in_(ids) | (live & Account.name_key.in_(keys)))
        for account in session.scalars(query.order_by(Account.id).with_for_update()):
            found[account.id] = account
            if account.merged_into is None and account.name_key is not None:
                by_key.setdefault(account.name_key, account)
    out = {domain: found[survivor] for domain, survivor in merged.items() if survivor in found}
    for domain, key in names.items():
        if key is not None and key in by_key:
            out[domain] = by_key[key]
    return out
