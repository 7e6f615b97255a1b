/**
 * Upcoming Messages end to end: the real app in a subprocess, driven through
 * Chromium the way a person clicks (see support.ts).
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  entry,
  eventually,
  expectGone,
  expectQuery,
  expectSubjects,
  expectText,
  screenshot,
  screenshots,
  signIn,
  withApp,
} from "./support.ts";

/** Demo data (services/demo.ts), by creator. */
const ADMIN_SCHEDULED = ["Severe weather drill notice", "Daily absence call", "Lunch account balance low"];
const PRIYA_SCHEDULED = ["Weekly attendance summary", "Field trip permission slips due", "Reading log reminder"];
const ALL_SCHEDULED = [
  ...ADMIN_SCHEDULED,
  ...PRIYA_SCHEDULED,
  "Staff meeting moved to the library",
  "Early release Friday",
  "Winter concert tickets",
  "Washington monthly newsletter",
];
const ROOSEVELT_SCHEDULED = ["Winter concert tickets", "Severe weather drill notice", "Daily absence call"];
const ALL_IN_PROGRESS = [
  "Picture day retakes",
  "Spelling bee results",
  "Bus 14 running 20 minutes late",
  "Gym closed for floor refinishing",
];
const GYM = "Gym closed for floor refinishing";
const OLD_FAILURE = "Book fair volunteers";
const GYM_RUN_ID = "R9M4T6HA3E7S";

function tab(page: Page, name: string) {
  return page.getByRole("tab", { name, exact: true });
}

async function expectSelectedTab(page: Page, name: string): Promise<void> {
  await page.locator(`[role="tab"][aria-selected="true"]`, { hasText: name }).waitFor();
  assert.equal(await page.locator(`[role="tab"][aria-selected="true"]`).count(), 1);
}

async function expectScope(page: Page, name: "My Messages" | "All Messages"): Promise<void> {
  await page.locator(`nav.scopes a[aria-current="page"]`, { hasText: name }).waitFor();
}

async function statusOf(page: Page, subject: string): Promise<string> {
  return (await entry(page, subject).locator(".status").textContent())?.trim() ?? "";
}

/** The full label of the calendar option whose name contains `school`. */
async function calendarLabel(page: Page, school: string): Promise<string> {
  const label = await page.getByLabel("Calendar").locator("option", { hasText: school }).textContent();
  assert.ok(label, `no calendar option for ${school}`);
  return label.trim();
}

Deno.test("admin: tabs, scopes, filters, icons and details on Upcoming Messages", async (t) => {
  await withApp("admin", async ({ app, page }) => {
    await signIn(page, app.baseUrl, "admin");

    await t.step("Scheduled is the selected tab and lists my messages", async () => {
      await page.getByRole("link", { name: "Upcoming Messages" }).click();
      await page.getByRole("heading", { name: "Upcoming Messages", level: 1 }).waitFor();
      await expectSelectedTab(page, "Scheduled");
      assert.equal(await tab(page, "In Progress").getAttribute("aria-selected"), "false");
      await expectScope(page, "My Messages");
      await expectSubjects(page, ADMIN_SCHEDULED);
      await entry(page, "Severe weather drill notice").locator("time").first().waitFor();
      await screenshots(page, "admin-scheduled-mine");
    });

    await t.step("In Progress shows recent runs with their status, not old failures", async () => {
      await tab(page, "In Progress").click();
      await expectQuery(page, { tab: "in-progress" });
      await expectSelectedTab(page, "In Progress");
      await expectSubjects(page, [GYM]);
      assert.equal(await statusOf(page, GYM), "Failed");

      await page.getByRole("link", { name: "All Messages" }).click();
      await expectQuery(page, { tab: "in-progress", scope: "all" });
      await expectScope(page, "All Messages");
      await expectSelectedTab(page, "In Progress");
      await expectSubjects(page, ALL_IN_PROGRESS);
      for (const label of ["Sending", "Processing", "Canceling", "Failed"]) {
        await page.locator("#upcoming-list .status", { hasText: label }).first().waitFor();
      }
      assert.equal(await statusOf(page, "Bus 14 running 20 minutes late"), "Sending");
      assert.equal(await statusOf(page, "Picture day retakes"), "Processing");
      assert.equal(await statusOf(page, "Spelling bee results"), "Canceling");
      assert.equal(await statusOf(page, GYM), "Failed");
      // Failed ten days ago: past the seven days a failure stays on the tab.
      assert.equal(await page.getByText(OLD_FAILURE).count(), 0);
      await screenshots(page, "admin-in-progress-all");
    });

    await t.step("All Messages on Scheduled lists everyone's messages", async () => {
      await tab(page, "Scheduled").click();
      await expectQuery(page, { tab: "scheduled", scope: "all" });
      await expectSelectedTab(page, "Scheduled");
      await expectScope(page, "All Messages");
      await expectSubjects(page, ALL_SCHEDULED);
    });

    await t.step("modes read as words beside their icons; the other icons have accessible names", async () => {
      const icon = (subject: string, name: string) => entry(page, subject).getByRole("img", { name, exact: true });
      const mode = (subject: string, name: string) => entry(page, subject).locator(".mode", { hasText: name });
      for (const name of ["Recurring", "Attachment"]) {
        await page.locator("#upcoming-list").getByRole("img", { name, exact: true }).first().waitFor();
      }
      for (const name of ["Email", "Text", "Voice", "Inbox"]) {
        await page.locator("#upcoming-list .mode", { hasText: name }).first().waitFor();
      }
      await icon("Weekly attendance summary", "Recurring").waitFor();
      await mode("Weekly attendance summary", "Inbox").waitFor();
      await mode("Weekly attendance summary", "Email").waitFor();
      await icon("Field trip permission slips due", "Attachment").waitFor();
      await mode("Field trip permission slips due", "Text").waitFor();
      await mode("Early release Friday", "Voice").waitFor();
      assert.equal(await icon("Early release Friday", "Recurring").count(), 0);
      assert.equal(await icon("Early release Friday", "Attachment").count(), 0);
      assert.equal(await mode("Early release Friday", "Inbox").count(), 0);
      // The word is what a screen reader reads: the icon beside it is hidden, so it is not read twice.
      assert.equal(await icon("Early release Friday", "Voice").count(), 0);
    });

    await t.step("Created By filter, as typed, is kept in the URL and across a reload", async () => {
      const createdBy = page.getByLabel("Created By");
      await createdBy.fill("Priya");
      await expectSubjects(page, PRIYA_SCHEDULED);
      await expectQuery(page, { createdBy: "Priya", scope: "all", tab: "scheduled" });
      await screenshot(page, "admin-filter-created-by");
      await page.reload();
      await expectSubjects(page, PRIYA_SCHEDULED);
      assert.equal(await page.getByLabel("Created By").inputValue(), "Priya");
      await expectScope(page, "All Messages");
    });

    await t.step("Subject filter with the Filter button", async () => {
      await page.getByLabel("Created By").fill("");
      await page.getByLabel("Subject").fill("lunch");
      await page.getByRole("button", { name: "Filter" }).click();
      await expectSubjects(page, ["Lunch account balance low"]);
      await expectQuery(page, { subject: "lunch", createdBy: null });
      await page.reload();
      await expectSubjects(page, ["Lunch account balance low"]);
      assert.equal(await page.getByLabel("Subject").inputValue(), "lunch");
      assert.equal(await page.getByLabel("Created By").inputValue(), "");
    });

    await t.step("Calendar filter", async () => {
      await page.getByLabel("Subject").fill("");
      await page.getByRole("button", { name: "Filter" }).click();
      await expectSubjects(page, ALL_SCHEDULED);
      const roosevelt = await calendarLabel(page, "Roosevelt High School");
      await page.getByLabel("Calendar").selectOption({ label: roosevelt });
      await expectSubjects(page, ROOSEVELT_SCHEDULED);
      const calendarId = await page.getByLabel("Calendar").inputValue();
      assert.match(calendarId, /^roosevelt-/);
      await expectQuery(page, { calendar: calendarId, subject: null });
      await screenshot(page, "admin-filter-calendar");
      await page.reload();
      await expectSubjects(page, ROOSEVELT_SCHEDULED);
      assert.equal(await page.getByLabel("Calendar").inputValue(), calendarId);
      const selected = await page.getByLabel("Calendar").locator("option:checked").textContent();
      assert.equal(selected?.trim(), roosevelt);

      await page.getByRole("link", { name: "Clear filters" }).click();
      await expectQuery(page, { calendar: null, scope: "all" });
      await expectSubjects(page, ALL_SCHEDULED);
      assert.equal(await page.getByLabel("Calendar").inputValue(), "");
    });

    await t.step("switching tab or scope after filtering keeps the filter", async () => {
      await page.goto(`${app.baseUrl}/messages?scope=all`);
      await expectSubjects(page, ALL_SCHEDULED);
      await page.getByLabel("Created By").fill("Priya");
      await expectSubjects(page, PRIYA_SCHEDULED);
      await expectQuery(page, { createdBy: "Priya" });
      await tab(page, "In Progress").click();
      await expectSelectedTab(page, "In Progress");
      await expectQuery(
        page,
        { tab: "in-progress", scope: "all", createdBy: "Priya" },
        "the In Progress tab, clicked after filtering, should keep the Created By filter",
      );
      await expectSubjects(page, ["Spelling bee results"]);
      assert.equal(await page.getByLabel("Created By").inputValue(), "Priya");
      await page.getByLabel("Subject").fill("zzz-no-such-subject");
      await page.getByText("No messages in progress match.").waitFor();
      await page.getByRole("link", { name: "My Messages" }).click();
      await expectQuery(
        page,
        { scope: "mine", createdBy: "Priya", subject: "zzz-no-such-subject" },
        "the My Messages link, clicked after filtering, should keep the filters",
      );
      assert.equal(await page.getByLabel("Subject").inputValue(), "zzz-no-such-subject");
    });

    await t.step("View Details of a scheduled message", async () => {
      await page.goto(`${app.baseUrl}/messages?scope=all`);
      await page.getByRole("link", { name: "View Details: Early release Friday" }).click();
      await page.waitForURL((url) => url.pathname === "/messages/msg-early-release");
      await page.getByRole("heading", { name: "Early release Friday", level: 1 }).waitFor();
      await page.getByRole("heading", { name: "Recipients" }).waitFor();
      const summary = await page.locator("section[aria-labelledby=recipients-h] > p").first().textContent();
      const counts = summary?.match(/(\d+) people, (\d+) copies/);
      assert.ok(counts, `recipient counts missing: ${summary}`);
      assert.ok(Number(counts[1]) > 0 && Number(counts[2]) > 0, `no recipients: ${summary}`);
      const byType = page.getByRole("table", { name: "By recipient type" });
      await byType.getByRole("rowheader", { name: "Guardians / contacts" }).waitFor();
      const byMode = page.getByRole("table", { name: "By delivery mode" });
      for (const mode of ["Email", "Text", "Voice"]) {
        await byMode.getByRole("rowheader", { name: mode, exact: true }).waitFor();
      }
      await page.getByText("msg-early-release", { exact: true }).waitFor();
      await page.getByText("Marcus Lee", { exact: false }).first().waitFor();
      const edit = page.getByRole("link", { name: "Edit Message" });
      await edit.waitFor();
      assert.equal(await edit.getAttribute("href"), "/messages/msg-early-release/edit");
      await screenshots(page, "admin-message-details");
    });

    await t.step("View Details of the failed run shows its Message ID and error reason", async () => {
      await page.goto(`${app.baseUrl}/messages?tab=in-progress&scope=all`);
      await expectSubjects(page, ALL_IN_PROGRESS);
      await page.getByRole("link", { name: `View Details: ${GYM}` }).click();
      await page.waitForURL((url) => url.pathname === `/runs/${GYM_RUN_ID}`);
      await page.getByRole("heading", { name: GYM, level: 1 }).waitFor();
      const idCell = page.locator("dt", { hasText: "Message ID" }).locator("xpath=following-sibling::dd[1]");
      assert.equal((await idCell.locator("code").textContent())?.trim(), GYM_RUN_ID);
      // One click copies it for support (the page grants the clipboard in this test's context).
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"], {
        origin: new URL(page.url()).origin,
      });
      await idCell.getByRole("button", { name: "Copy Message ID" }).click();
      await idCell.getByRole("button", { name: "Copied" }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), GYM_RUN_ID);
      await page.getByRole("heading", { name: "Why it failed" }).waitFor();
      const reason = await page.locator("dt", { hasText: "Error reason" }).locator("xpath=following-sibling::dd[1]")
        .textContent();
      assert.match(reason ?? "", /merge field \{\{student\.homeroom\}\}/);
      await page.locator(".status", { hasText: "Failed" }).waitFor();
      await screenshots(page, "admin-run-details-failed");
    });

    await t.step("Users: each user's rights say which calendars they reach", async () => {
      await page.getByRole("link", { name: "Users", exact: true }).click();
      await page.getByRole("heading", { name: "Users and tool rights", level: 1 }).waitFor();
      const office = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Marcus Lee" }) });
      await expectText(office.getByRole("cell").nth(2), /^View\/Edit All on \S+ Lincoln Elementary only · /, "rights");
      await screenshots(page, "admin-users");
    });
  });
});

/** Counts the island's own refresh fetches (htmx's requests also send HX-Current-URL). */
function countRefreshes(page: Page): { count(): number; reset(): void } {
  let n = 0;
  page.on("request", (r) => {
    const h = r.headers();
    if (h["hx-request"] === "true" && !h["hx-current-url"]) n++;
  });
  return { count: () => n, reset: () => (n = 0) };
}

/** Marks the list, then waits until a refresh has replaced it. */
async function waitForListRefresh(page: Page): Promise<void> {
  await page.evaluate(() => {
    document.getElementById("upcoming-list")!.dataset.stale = "true";
  });
  await page.locator("#upcoming-list:not([data-stale])").waitFor({ timeout: 10_000 }).catch((e) => {
    throw new Error(`the list did not refresh itself within 10 s (REFRESH_SECONDS=2): ${e.message}`);
  });
}

function markDocument(page: Page): Promise<void> {
  return page.evaluate(() => {
    (globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true;
  });
}

async function assertSameDocument(page: Page): Promise<void> {
  assert.equal(
    await page.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument),
    true,
    "the page was reloaded instead of refreshed in place",
  );
}

Deno.test("auto refresh (REFRESH_SECONDS=2) updates the list in place", async (t) => {
  await withApp("auto-refresh", async ({ app, page }) => {
    const refreshes = countRefreshes(page);
    await signIn(page, app.baseUrl, "admin");
    const status = page.locator(".refresh-status");
    const filtered = ["Weekly attendance summary", "Field trip permission slips due"];

    await t.step("the list is replaced without a reload and the filters keep their values", async () => {
      await page.goto(`${app.baseUrl}/messages?scope=all`);
      await status.getByText("Refreshes every 2 seconds").waitFor();
      await page.getByLabel("Created By").fill("Priya");
      await page.getByLabel("Subject").fill("s");
      await page.getByRole("button", { name: "Filter" }).click();
      await expectQuery(page, { createdBy: "Priya", subject: "s" });
      await expectSubjects(page, filtered);
      await markDocument(page);
      await waitForListRefresh(page);
      await assertSameDocument(page);
      await expectSubjects(page, filtered);
      assert.equal(await page.getByLabel("Created By").inputValue(), "Priya");
      assert.equal(await page.getByLabel("Subject").inputValue(), "s");
    });

    await t.step("the status text says Updated … after a refresh", async () => {
      await waitForListRefresh(page);
      await expectText(status, /^Updated \d{1,2}:\d{2}/, "the refresh status after a refresh", 10_000);
      await assertSameDocument(page);
      assert.equal(await page.getByLabel("Created By").inputValue(), "Priya");
      await screenshot(page, "auto-refresh-updated");
    });

    await t.step("an island that htmx swapped out stops refreshing", async () => {
      await page.goto(`${app.baseUrl}/messages`);
      for (const name of ["In Progress", "Scheduled", "In Progress"]) {
        await tab(page, name).click();
        await expectSelectedTab(page, name);
      }
      await waitForListRefresh(page);
      // One 2-second timer makes two or three fetches in 4.5 s; leaked timers make more.
      refreshes.reset();
      await page.waitForTimeout(4_500);
      assert.ok(
        refreshes.count() <= 3,
        `${refreshes.count()} refresh fetches in 4.5 s: the timers of swapped-out islands are still running`,
      );
    });

    await t.step("after the browser's Back button the list still refreshes itself", async () => {
      await page.goto(`${app.baseUrl}/messages?scope=all`);
      await expectSelectedTab(page, "Scheduled");
      await tab(page, "In Progress").click();
      await expectQuery(page, { tab: "in-progress" });
      await expectSelectedTab(page, "In Progress");
      await page.goBack();
      await expectSelectedTab(page, "Scheduled");
      await expectSubjects(page, ALL_SCHEDULED);
      await markDocument(page);
      await waitForListRefresh(page);
      await expectSubjects(page, ALL_SCHEDULED);
      await expectText(status, /^Updated /, "the refresh status after Back and a refresh", 10_000);
      // htmx restores the page with scripting off: the reload meant for browsers without JavaScript must not be in it.
      await page.waitForTimeout(3_000);
      await assertSameDocument(page);
    });
  });
});

Deno.test("without JavaScript, tabs, scopes and filters work as plain links and forms", async () => {
  await withApp("no-js", async ({ app, page }) => {
    await signIn(page, app.baseUrl, "admin");
    await expectSelectedTab(page, "Scheduled");
    await expectSubjects(page, ADMIN_SCHEDULED);
    await page.locator(".refresh-status", { hasText: "Refreshes every 600 seconds" }).waitFor();

    await tab(page, "In Progress").click();
    await expectQuery(page, { tab: "in-progress" });
    await expectSelectedTab(page, "In Progress");
    await expectSubjects(page, [GYM]);

    await page.getByRole("link", { name: "All Messages" }).click();
    await expectQuery(page, { tab: "in-progress", scope: "all" });
    await expectScope(page, "All Messages");
    await expectSubjects(page, ALL_IN_PROGRESS);
    assert.equal(await page.getByText(OLD_FAILURE).count(), 0);

    await tab(page, "Scheduled").click();
    await expectQuery(page, { tab: "scheduled", scope: "all" });
    await expectSubjects(page, ALL_SCHEDULED);

    await page.getByLabel("Subject").fill("lunch");
    // Typing alone does nothing without JavaScript.
    assert.equal((await page.evaluate(() => location.search)).includes("subject"), false);
    await page.getByRole("button", { name: "Filter" }).click();
    await expectQuery(page, { subject: "lunch", scope: "all", tab: "scheduled" });
    await expectSubjects(page, ["Lunch account balance low"]);
    assert.equal(await page.getByLabel("Subject").inputValue(), "lunch");

    await page.getByLabel("Subject").fill("");
    await page.getByLabel("Created By").fill("priya");
    await page.getByLabel("Calendar").selectOption({ label: await calendarLabel(page, "Lincoln Elementary") });
    await page.getByRole("button", { name: "Filter" }).click();
    await expectQuery(page, { createdBy: "priya", subject: null });
    assert.match(new URL(page.url()).searchParams.get("calendar") ?? "", /^lincoln-/);
    await expectSubjects(page, PRIYA_SCHEDULED);
    await screenshot(page, "no-js-filtered");

    // The tabs carry the filters along.
    await tab(page, "In Progress").click();
    await expectQuery(page, { tab: "in-progress", createdBy: "priya" });
    await expectSubjects(page, ["Spelling bee results"]);
    assert.equal(await page.getByLabel("Created By").inputValue(), "priya");

    await page.getByRole("link", { name: "Clear filters" }).click();
    await expectQuery(page, { tab: "in-progress", scope: "all", createdBy: null, calendar: null });
    await expectSubjects(page, ALL_IN_PROGRESS);

    await page.getByRole("link", { name: "View Details: Spelling bee results" }).click();
    await page.getByRole("heading", { name: "Spelling bee results", level: 1 }).waitFor();
    await page.getByRole("link", { name: "← In Progress" }).click();
    await expectSelectedTab(page, "In Progress");
  }, { context: { javaScriptEnabled: false }, env: { REFRESH_SECONDS: "600" } });
});

Deno.test("without JavaScript the list keeps the promise of refreshing itself: the page reloads", async () => {
  await withApp("no-js-reload", async ({ app, page }) => {
    await signIn(page, app.baseUrl, "admin");
    await page.locator(".refresh-status", { hasText: "Refreshes every 2 seconds" }).waitFor();
    let loads = 0;
    page.on("load", () => loads++);
    await page.waitForTimeout(5_000);
    assert.ok(loads >= 1, `the page reloaded ${loads} times in 5 s (REFRESH_SECONDS=2)`);
    await expectSubjects(page, ADMIN_SCHEDULED);
  }, { context: { javaScriptEnabled: false } });
});

Deno.test("teacher: no All Messages, and other people's messages are not found", async () => {
  await withApp("teacher", async ({ app, page }) => {
    await signIn(page, app.baseUrl, "teacher");
    await expectSelectedTab(page, "Scheduled");
    await expectSubjects(page, PRIYA_SCHEDULED);
    await expectScope(page, "My Messages");
    assert.equal(await page.getByRole("link", { name: "All Messages" }).count(), 0);
    assert.equal(await page.getByText("All Messages").count(), 0);
    // Only the calendars the teacher has rights to.
    const options = (await page.getByLabel("Calendar").locator("option").allTextContents()).map((o) => o.trim());
    assert.equal(options.length, 2, `calendar options: ${options}`);
    assert.equal(options[0], "All calendars");
    assert.match(options[1], /Lincoln Elementary$/);
    await screenshot(page, "teacher-scheduled");

    // Asking for everyone's messages in the URL still shows only her own.
    await page.goto(`${app.baseUrl}/messages?scope=all`);
    await expectSubjects(page, PRIYA_SCHEDULED);
    await page.goto(`${app.baseUrl}/messages?scope=all&tab=in-progress`);
    await expectSubjects(page, ["Spelling bee results"]);
    await expectGone(page.getByText("Bus 14 running 20 minutes late"));

    const other = await page.goto(`${app.baseUrl}/messages/msg-early-release`);
    assert.equal(other?.status(), 404);
    await page.getByRole("heading", { name: "Not found", level: 1 }).waitFor();
    assert.equal(await page.getByText("Early release Friday").count(), 0);
    await screenshot(page, "teacher-other-message-404");

    const otherRun = await page.goto(`${app.baseUrl}/runs/R7K3Q9XD2M4P`);
    assert.equal(otherRun?.status(), 404);

    const own = await page.goto(`${app.baseUrl}/messages/msg-attendance`);
    assert.equal(own?.status(), 200);
    await page.getByRole("heading", { name: "Weekly attendance summary", level: 1 }).waitFor();
    await page.getByRole("img", { name: "Recurring", exact: true }).first().waitFor();
    await page.getByRole("link", { name: "Edit Message" }).waitFor();
    await eventually(
      "recipient counts",
      async () =>
        /\d+ people, \d+ copies/.test(await page.locator("section[aria-labelledby=recipients-h]").innerText()),
    );
  });
});
