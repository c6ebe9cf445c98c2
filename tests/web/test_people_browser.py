"""The admin's people, API tokens and capture forms pages in a real browser, at desktop and phone widths: adding a
person and copying the password shown once, disabling after confirming, a role and a new password; a token made,
copied and revoked; a form added and its HTML copied. Every page fits the width it is drawn at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from leadpact.services import people
from leadpact.store.unit_of_work import UnitOfWork
from tests.web.conftest import DESKTOP, PHONE, Site, sign_in

WIDTHS = [pytest.param(DESKTOP, id="1280"), pytest.param(PHONE, id="390")]


def admin(browser: Browser, site: Site, viewport: dict[str, int]) -> Page:
    """root signed in at the width, allowed to read back what a Copy button put on the clipboard."""
    page = sign_in(browser, site, "root", viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    return page


def clipboard(page: Page) -> str:
    text: str = page.evaluate("navigator.clipboard.readText()")
    return text


def fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def access(site: Site, name: str) -> tuple[str, bool]:
    with UnitOfWork(site.engine) as uow:
        (found,) = [p for p in people.people(uow) if p.name == name]
        return found.role, found.disabled_at is None


@pytest.mark.parametrize("viewport", WIDTHS)
def test_an_admin_adds_disables_and_enables_a_person_and_changes_a_role(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    page = admin(browser, site, viewport)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    assert fits(page)

    add = page.locator("section", has=page.get_by_role("heading", name="Add a person"))
    add.get_by_label("Name").fill("ivy")
    add.get_by_label("Role").select_option("marketing")
    add.get_by_role("button", name="Add person").click()
    shown = page.locator("section", has=page.get_by_role("heading", name="ivy's password"))
    password = shown.locator("pre").inner_text()
    shown.get_by_role("button", name="Copy").click()
    expect(shown.get_by_role("button", name="Copied")).to_be_visible()
    assert clipboard(page) == password
    assert access(site, "ivy") == ("marketing", True)

    alice = page.locator("tr[data-person='alice']")
    page.once("dialog", lambda dialog: dialog.dismiss())
    alice.get_by_role("button", name="Disable alice").click()
    expect(alice.get_by_role("button", name="Disable alice")).to_be_visible()  # not confirmed: nothing done
    assert access(site, "alice") == ("rep", True)
    page.once("dialog", lambda dialog: dialog.accept())
    alice.get_by_role("button", name="Disable alice").click()
    expect(page.locator("#flash")).to_contain_text("alice's access is disabled and they are signed out.")
    expect(alice.locator("td[data-label='access']")).to_contain_text("disabled")
    assert access(site, "alice") == ("rep", False)
    alice.get_by_role("button", name="Enable alice").click()
    expect(page.locator("#flash")).to_contain_text("alice has access again.")
    assert access(site, "alice") == ("rep", True)

    mia = page.locator("tr[data-person='mia']")
    mia.get_by_text("Change mia's role").click()
    mia.get_by_label("Role").select_option("manager")
    mia.get_by_label("Side").select_option("sales")
    mia.get_by_role("button", name="Change role").click()
    expect(page.locator("#flash")).to_contain_text("mia's role is now manager (sales).")
    assert access(site, "mia") == ("manager", True)

    root = page.locator("tr[data-person='root']")
    page.once("dialog", lambda dialog: dialog.accept())
    root.get_by_role("button", name="Disable root").click()
    expect(page.get_by_role("alert")).to_contain_text("root is the last admin whose access is not disabled")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr[data-person='dana']").get_by_role("button", name="New password for dana").click()
    expect(page.get_by_role("heading", name="dana's password")).to_be_visible()
    assert fits(page)
    page.context.close()


@pytest.mark.parametrize("viewport", WIDTHS)
def test_an_admin_makes_a_token_copies_it_once_and_revokes_it_after_confirming(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    page = admin(browser, site, viewport)
    page.goto(f"{site.url}/admin/people")
    page.get_by_role("navigation", name="Admin pages").get_by_role("link", name="API tokens").click()
    create = page.locator("section", has=page.get_by_role("heading", name="Create a token"))
    create.get_by_label("Name").fill("crm sync")
    create.get_by_label("Role").select_option("marketing")
    create.get_by_role("button", name="Create token").click()
    made = page.locator("section", has=page.get_by_role("heading", name="Token created"))
    secret = made.locator("pre").inner_text()
    assert secret.startswith("lpt_")
    made.get_by_role("button", name="Copy").click()
    assert clipboard(page) == secret
    assert fits(page)

    page.goto(f"{site.url}/admin/tokens")
    assert secret not in page.content()  # shown once
    row = page.locator("tr", has_text="crm sync")
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Revoke").click()
    expect(row.locator("td[data-label='state']")).to_have_text("in use")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(row.locator("td[data-label='state']")).to_contain_text("revoked")
    assert page.request.get(f"{site.url}/api/v1/leads", headers={"Authorization": f"Bearer {secret}"}).status == 401
    page.context.close()


@pytest.mark.parametrize("viewport", WIDTHS)
def test_marketing_adds_a_capture_form_and_copies_the_html_to_paste(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    page = sign_in(browser, site, "mia", viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Forms").click()
    expect(page.get_by_text("No form yet.")).to_be_visible()
    add = page.locator("section", has=page.get_by_role("heading", name="Add a form"))
    add.get_by_label("Name").fill("contact us")
    add.get_by_label("Sites allowed to post it").fill("https://www.acme.com")
    add.get_by_label("Field map").fill("work_email=email")
    add.get_by_role("button", name="Add form").click()
    form = page.locator("article[data-form='contact us']")
    expect(form).to_contain_text("from https://www.acme.com")
    snippet = form.locator("pre")
    expect(snippet).to_be_visible()  # the new form's HTML is open
    expect(snippet).to_contain_text('<input name="work_email" type="email" required>')
    form.get_by_role("button", name="Copy").click()
    copied = clipboard(page)
    assert copied.startswith(f'<form method="post" action="{site.url}/capture/')
    assert copied == snippet.inner_text()
    assert fits(page)

    add.get_by_label("Name").fill("again")
    add.get_by_label("Sites allowed to post it").fill("acme.com")
    add.get_by_role("button", name="Add form").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "origin: 'acme.com' is not an origin like https://www.example.com"
    )
    page.context.close()
