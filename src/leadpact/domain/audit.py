"""The audit trail: every change a person or a token makes is kept with who made it, when, and from where.

A change made from the web app, the API or the command line names its actor: the person signed in, the token
(or the person it acts for), or the account that ran the command on its host. What the agreement does by
itself (scoring, hand-offs, the SLA worker) is recorded in the lead's history instead. The trail is only
appended to: nothing in leadpact edits or deletes an entry, and entries name leads by id, never by what an
erasure removes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who makes the changes of a unit of work, through which edge, and from which address or host."""

    name: str
    via: str  # "web", "api" or "cli"
    address: str | None = None


ACTIONS: dict[str, str] = {
    "agreement.adopt": "adopted an agreement version",
    "agreement.propose": "proposed a candidate agreement",
    "agreement.sign": "signed a candidate agreement",
    "lead.accept": "accepted a lead",
    "lead.reject": "sent a lead back to marketing",
    "lead.contact": "logged a contact",
    "lead.qualify": "recorded the qualification answers",
    "lead.convert": "converted a lead to an opportunity",
    "lead.stage": "moved an opportunity to another stage",
    "lead.revise": "changed an opportunity's amount or expected close date",
    "lead.won": "closed an opportunity as won",
    "lead.lost": "closed an opportunity as lost",
    "feedback.record": "recorded sales feedback",
    "dedupe.merge": "merged a duplicate lead or account into another",
    "lead.disqualify": "disqualified an inquiry",
    "lead.reassign": "gave a lead to another rep",
    "screening.call": "logged a screening call",
    "screening.answer": "recorded a lead's answers in screening",
    "screening.pass": "passed a screened lead to sales",
    "screening.not_yet": "sent a screened lead back to nurture",
    "screening.disqualify": "disqualified a lead in screening",
    "lead.export": "exported a person's data",
    "lead.erase": "erased a person's data",
    "import": "imported a CSV file",
    "scores.rescore": "rescored every lead and amended what was out of line",
    "campaigns.save": "added or changed campaigns",
    "costs.save": "recorded campaign costs",
    "person.add": "added a person",
    "person.password": "set a password",
    "person.disable": "disabled a person's access",
    "person.enable": "enabled a person's access again",
    "person.role": "changed a person's role",
    "team.away": "marked a rep away",
    "team.back": "marked a rep back",
    "team.capacity": "changed a rep's capacity",
    "team.manager": "named a team's manager",
    "team.max_open": "capped a rep's open leads",
    "account.owner": "set or cleared an account's owner",
    "token.create": "created an API token",
    "token.revoke": "revoked an API token",
    "webhook.add": "added a webhook",
    "webhook.remove": "removed a webhook",
    "form.add": "added a capture form",
    "profile.learn": "learned a customer profile",
    "model.train": "trained a version of the lead model",
    "workshop.start": "started a calibration workshop",
    "workshop.grade": "graded a workshop lead",
    "workshop.label": "loaded a file of workshop grades",
    "sign_in.throttled": "was throttled after wrong passwords",
    "nurture.adopt": "adopted a version of the nurture sequences",
    "nurture.enroll": "enrolled leads in a nurture sequence",
    "clock.set": "set the store's clock",
    "clock.clear": "cleared the store's clock",
}
"""Every action the trail records, in the words the admin's page uses."""
