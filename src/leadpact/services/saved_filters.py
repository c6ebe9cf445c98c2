"""Saved filters: a person's named ways of looking at the leads list, each kept as the list's query string.

A filter belongs to the person who saved it, and its name is theirs alone: saving under a name they already use
replaces what that name shows. Nothing here reads the query string; the list reads it as it reads its address,
so a saved filter shows exactly what the list showed when it was saved.
"""

from __future__ import annotations

from sqlalchemy import select

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.services.clock import Clock
from leadpact.store.tables import SavedFilter
from leadpact.store.unit_of_work import UnitOfWork

NAME_LENGTH = 100
"""As long as the table's column."""


def saved(uow: UnitOfWork, user_id: int) -> list[SavedFilter]:
    """The person's saved filters, by name."""
    query = select(SavedFilter).where(SavedFilter.user_id == user_id).order_by(SavedFilter.name, SavedFilter.id)
    return list(uow.session.scalars(query))


def save(uow: UnitOfWork, clock: Clock, user_id: int, name: str, query: str) -> tuple[SavedFilter, bool]:
    """Keep the query under the name for the person; (the filter, whether it is new rather than replaced)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("give the filter a name, such as 'hot webinar leads'", "name")
    if len(name) > NAME_LENGTH:
        raise InvalidInput(f"a filter's name is at most {NAME_LENGTH} characters", "name")
    if "\x00" in name:
        raise InvalidInput("a filter's name cannot hold the NUL character", "name")
    if not query:
        raise InvalidInput("there is nothing to save: choose a filter or a sort order first", "query")
    uow.serialize_on(f"saved_filters:{user_id}")  # two saves under one new name at once: one adds, one replaces
    found = uow.session.scalars(
        select(SavedFilter).where(SavedFilter.user_id == user_id, SavedFilter.name == name)
    ).first()
    if found is not None:
        found.query = query
        return found, False
    kept = SavedFilter(user_id=user_id, name=name, query=query, created_at=clock.now())
    uow.session.add(kept)
    uow.session.flush()
    return kept, True


def forget(uow: UnitOfWork, user_id: int, filter_id: int) -> SavedFilter:
    """Delete one of the person's saved filters; another person's is not found, as one that never was."""
    found = uow.session.get(SavedFilter, filter_id)
    if found is None or found.user_id != user_id:
        raise NotFound(f"no saved filter {filter_id} of yours")
    uow.session.delete(found)
    return found
