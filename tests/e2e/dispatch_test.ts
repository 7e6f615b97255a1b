/**
 * Send Now end to end: the real dispatcher (DISPATCH_SECONDS=1) sending
 * through the outbox with simulated provider latency (OUTBOX_DELAY_MS), so
 * Processing, Sending, the growing counts, Sent and Cancel mid-send can be
 * watched in Chromium the way a person would (see support.ts).
 */
import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import { entry, eventually, expectText, screenshot, screenshots, signIn, withApp } from "./support.ts";
import { startSink } from "../support/smtp_sink.ts";

type StepLabel = "1 Recipients" | "2 Content" | "3 Send Options";
type Counts = Record<string, Record<string, number>>;

/** Long enough for a few hundred deliveries plus the finish job's own wait. */
const SEND_TIMEOUT_MS = 90_000;
/** Once a run has left In Progress it is on /sent. */
const TIMEOUT_AFTER_LIST = 10_000;

function group(page: Page, name: string | RegExp): Locator {
  return page.getByRole("group", { name, exact: typeof name === "string" });
}

async function expectStep(page: Page, label: StepLabel): Promise<void> {
  await page.locator(`ol.steps button[aria-current="step"]`, { hasText: label }).waitFor();
}

async function next(page: Page, to: StepLabel): Promise<void> {
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await expectStep(page, to);
}

function tab(page: Page, name: string): Locator {
  return page.getByRole("tab", { name, exact: true });
}

/**
 * New Message → Lincoln's calendar, `types`, every grade → subject, email and
 * inbox text → General, Email + Inbox, Send Now → Send. Returns the preview's
 * "N people, M copies" line.
 */
async function sendNow(page: Page, subject: string, types: string[]): Promise<string> {
  await page.getByRole("button", { name: "New Message" }).click();
  await page.getByRole("heading", { name: "New Message", level: 1 }).waitFor();
  await expectStep(page, "1 Recipients");
  const calendar = page.getByRole("combobox", { name: "Calendar", exact: true });
  const lincoln = (await calendar.locator("option", { hasText: "Lincoln Elementary" }).textContent())?.trim();
  assert.ok(lincoln, "Marcus Lee may use Lincoln's calendar");
  await calendar.selectOption({ label: lincoln });
  for (const type of ["Students", "Guardians / contacts", "Staff"]) {
    await group(page, "Recipient types").getByRole("checkbox", { name: type, exact: true }).setChecked(
      types.includes(type),
    );
  }
  const grades = group(page, /^Grades/).getByRole("checkbox");
  for (let i = 0; i < await grades.count(); i++) assert.equal(await grades.nth(i).isChecked(), false);
  const summary = page.locator("#recipient-preview section[aria-labelledby=recipients-h] > p");
  const byType = page.getByRole("table", { name: "By recipient type" });
  // htmx posts the form on each change: wait until the preview counts exactly the ticked types.
  await eventually(`the preview should list ${types.join(", ")}`, async () => {
    const rows = (await byType.getByRole("rowheader").allTextContents()).map((t) => t.trim()).sort();
    return JSON.stringify(rows) === JSON.stringify([...types].sort());
  });
  await expectText(summary, /^\d+ people, \d+ copies/, "the recipient preview");
  const people = (await summary.textContent())!.trim();
  await next(page, "2 Content");

  await page.getByRole("textbox", { name: "Subject", exact: true }).fill(subject);
  await page.getByRole("textbox", { name: "Email", exact: true }).fill(
    `<p>Dear {{recipient.firstName}},</p><p>${subject}.</p>`,
  );
  await page.getByRole("textbox", { name: "Inbox message", exact: true }).fill(`${subject}.`);
  await next(page, "3 Send Options");

  await group(page, "Message type").getByRole("radio", { name: "General", exact: true }).check();
  for (const mode of ["Inbox", "Email", "Text", "Voice"]) {
    await group(page, "Delivery modes").getByRole("checkbox", { name: mode, exact: true }).setChecked(
      mode === "Email" || mode === "Inbox",
    );
  }
  await page.getByRole("radio", { name: "Send Now", exact: true }).check();
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/messages");
  await expectText(page.getByRole("status"), /^The message is queued to send now\.$/, "the notice after Send");
  return people;
}

/**
 * "Email: 120 delivered, 3 failed, 8 opted out · Inbox: 40 delivered" → { Email: { delivered: 120, failed: 3 }, … }.
 * "opted out" counts people Processing left out, and "read" inbox deliveries the families opened (still delivered):
 * neither is one of the counts.
 */
function parseCounts(line: string): Counts {
  const out: Counts = {};
  for (const part of line.split("·").map((p) => p.trim()).filter(Boolean)) {
    const m = part.match(/^(\w+): (.*)$/);
    assert.ok(m, `odd counts line: ${JSON.stringify(line)}`);
    const mode: Record<string, number> = out[m[1]] = {};
    if (m[2] === "none") continue;
    for (const item of m[2].split(",").map((s) => s.trim())) {
      const r = item.match(/^(\d+) (.+)$/);
      assert.ok(r, `odd counts item "${item}" in ${JSON.stringify(line)}`);
      if (r[2] !== "opted out" && r[2] !== "read") mode[r[2]] = Number(r[1]);
    }
  }
  return out;
}

function total(counts: Record<string, number> | undefined): number {
  return Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
}

async function countsLine(locator: Locator): Promise<Counts> {
  return parseCounts((await locator.locator(".counts-line").textContent({ timeout: 1_000 }))?.trim() ?? "");
}

/** The run's status on its View Details page. */
function runStatus(page: Page): Locator {
  return page.locator("dt", { hasText: "Status" }).locator("xpath=following-sibling::dd[1]").locator(".status");
}

/** The counts table of a run's View Details ("Progress so far", or "Final counts" once finished): mode → column → number. */
async function progress(page: Page): Promise<Counts> {
  const table = page.getByRole("table", { name: /^(Progress so far|Final counts)$/ });
  await table.waitFor();
  const columns = (await table.locator("thead th").allTextContents()).map((t) => t.trim().toLowerCase());
  const out: Counts = {};
  for (const row of await table.locator("tbody tr").all()) {
    const mode = (await row.locator("th").textContent())!.trim();
    const cells = (await row.locator("td").allTextContents()).map(Number);
    out[mode] = Object.fromEntries(cells.map((n, i) => [columns[i + 1], n]));
  }
  return out;
}

/** The entry of `subject` on /sent, reached through the header's Sent link. */
async function openSent(page: Page, subject: string, timeout = SEND_TIMEOUT_MS): Promise<Locator> {
  const sentEntry = page.locator("li.entry").filter({ has: page.locator("h3.subject", { hasText: subject }) });
  await eventually(`"${subject}" should appear on /sent`, async () => {
    await sentLink(page).click();
    await page.getByRole("heading", { name: "Sent Message Log", level: 1 }).waitFor();
    return (await sentEntry.count()) === 1;
  }, timeout);
  return sentEntry;
}

/** The header's link to the Sent Message Log, by its short name or its full one. */
function sentLink(page: Page): Locator {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Sent( Message Log)?$/ });
}

/** Runs a step and stops the test when it fails, so later steps do not fail for its reason. */
async function step(t: Deno.TestContext, name: string, fn: () => Promise<void>): Promise<void> {
  if (!(await t.step(name, fn))) throw new Error(`step failed: ${name}`);
}

function delivered(counts: Counts): number {
  return Object.values(counts).reduce((n, c) => n + (c.delivered ?? 0), 0);
}

function pending(counts: Counts): number {
  return Object.values(counts).reduce((n, c) => n + (c.pending ?? 0), 0);
}

/**
 * Lincoln's guardians and students: about 360 copies, 120 of them emails.
 * Eight sends at a time, so 400 ms per email keeps it Sending for about 6 s:
 * long enough to see the counts grow over two list refreshes.
 */
const SEND_ENV = { DISPATCH_SECONDS: "1", REFRESH_SECONDS: "2", OUTBOX_DELAY_MS: "400" };
/** Cancel needs a few clicks while it sends: about 10 s of emails. */
const CANCEL_ENV = { DISPATCH_SECONDS: "1", REFRESH_SECONDS: "2", OUTBOX_DELAY_MS: "700" };

Deno.test("office: Send Now to Lincoln's guardians and students, watch it send, find it on Sent", async (t) => {
  await withApp("dispatch-send-now", async ({ app, page }) => {
    const subject = "Early dismissal today at 1:00";
    await signIn(page, app.baseUrl, "office");
    let preview = "";
    let totals: Counts = {};
    let sentAt = Date.now();
    let allDeliveredAt = 0;

    await step(t, "New Message → Send Now comes back queued", async () => {
      preview = await sendNow(page, subject, ["Guardians / contacts", "Students"]);
      sentAt = Date.now();
      const copies = Number(preview.match(/(\d+) copies/)?.[1]);
      assert.ok(copies > 100, `a few hundred copies expected: ${preview}`);
    });

    await step(t, "In Progress: Processing or Sending, its counts growing as the list refreshes itself", async () => {
      await tab(page, "In Progress").click();
      await page.locator(`[role="tab"][aria-selected="true"]`, { hasText: "In Progress" }).waitFor();
      const mine = entry(page, subject);
      await expectText(mine.locator(".status"), /^(Processing|Sending)$/, "the new run's status");
      await screenshot(page, "dispatch-in-progress");
      // The list refreshes every 2 s: the delivered count grows from one refresh to a later one.
      const seen: string[] = [];
      let first: Counts | undefined;
      await eventually("the counts line should grow while Sending", async () => {
        const status = (await mine.locator(".status").textContent({ timeout: 1_000 }))?.trim();
        if (status !== "Sending") return false;
        const counts = await countsLine(mine);
        if (seen.at(-1) !== JSON.stringify(counts)) seen.push(JSON.stringify(counts));
        first ??= counts;
        return delivered(counts) > delivered(first);
      }, 30_000).catch((e) => {
        throw new Error(`${e.message}; counts lines seen: ${seen.join(" → ")}`);
      });
      assert.equal(await mine.locator(".status").textContent(), "Sending");
      await screenshots(page, "dispatch-sending-counts");
    });

    await step(t, "View Details from the entry shows the run's progress", async () => {
      await page.getByRole("link", { name: `View Details: ${subject}` }).click();
      await page.getByRole("heading", { name: subject, level: 1 }).waitFor();
      assert.match(new URL(page.url()).pathname, /^\/runs\/[0-9A-Z]{12}$/);
      await expectText(runStatus(page), /^(Sending|Sent)$/, "the run's status");
      const status = (await runStatus(page).textContent())?.trim();
      // Every delivery is counted in one column or another: the row totals are the copies per mode.
      totals = await progress(page);
      assert.deepEqual(Object.keys(totals).sort(), ["Email", "Inbox"], `modes: ${JSON.stringify(totals)}`);
      if (status === "Sending") {
        await page.getByRole("link", { name: "Cancel Message" }).waitFor();
        // While it sends, its View Details keeps itself current, as the list does.
        await page.locator(".refresh-status").waitFor();
      }
      await screenshots(page, "dispatch-run-details-sending");
      await page.getByRole("link", { name: "← In Progress" }).click();
      await page.locator(`[role="tab"][aria-selected="true"]`, { hasText: "In Progress" }).waitFor();
    });

    await step(t, "it leaves In Progress when done", async () => {
      // Marcus's demo run "Bus 14 running 20 minutes late" stays; ours goes.
      await page.locator("#upcoming-list h3.subject", { hasText: "Bus 14" }).waitFor();
      const mine = entry(page, subject);
      await eventually(`"${subject}" should leave In Progress`, async () => {
        if ((await mine.count()) === 0) return true;
        if (!allDeliveredAt && pending(await countsLine(mine)) === 0) allDeliveredAt = Date.now();
        return false;
      }, SEND_TIMEOUT_MS);
      const s = (at: number) => `${((at - sentAt) / 1000).toFixed(1)} s`;
      console.log(
        `    ${preview}: nothing pending after ${allDeliveredAt ? s(allDeliveredAt) : "?"}, ` +
          `left In Progress after ${s(Date.now())}`,
      );
    });

    await step(t, "Sent lists it with every delivery delivered; View Details says Sent", async () => {
      const sent = await openSent(page, subject, TIMEOUT_AFTER_LIST);
      await expectText(sent.locator(".status"), /^Sent$/, "the status on /sent");
      const counts = await countsLine(sent);
      assert.deepEqual(Object.keys(counts).sort(), ["Email", "Inbox"], `modes: ${JSON.stringify(counts)}`);
      for (const mode of ["Email", "Inbox"]) {
        const want = total(totals[mode]);
        assert.deepEqual(counts[mode], { delivered: want }, `${mode}: all ${want} delivered, nothing else`);
        assert.ok(want > 100, `${mode}: ${want} copies`);
      }
      await screenshots(page, "dispatch-sent-list");

      await page.getByRole("link", { name: `View Details: ${subject}` }).click();
      await page.getByRole("heading", { name: subject, level: 1 }).waitFor();
      await expectText(runStatus(page), /^Sent$/, "the run's status");
      const final = await progress(page);
      for (const mode of ["Email", "Inbox"]) {
        assert.equal(final[mode].delivered, total(totals[mode]), `${mode} delivered on View Details`);
        assert.equal(total(final[mode]), final[mode].delivered, `${mode}: ${JSON.stringify(final[mode])}`);
      }
      assert.equal(await page.getByRole("link", { name: "Cancel Message" }).count(), 0);
      const timeline = (await page.locator("section[aria-labelledby=timeline-h] li").allTextContents())
        .map((s) => s.trim().replace(/^.*: /, ""));
      assert.deepEqual(timeline, ["Processing", "Sending", "Sent"]);
      await screenshot(page, "dispatch-run-details-sent");
    });
  }, { env: SEND_ENV });
});

Deno.test("office: Cancel Message mid-send stops it; Sent shows it Canceled with some delivered", async (t) => {
  await withApp("dispatch-cancel", async ({ app, page }) => {
    const subject = "Fire drill rescheduled";
    await signIn(page, app.baseUrl, "office");
    let runPath = "";
    let before: Counts = {};

    await step(t, "Send Now, then View Details from the In Progress entry as soon as it is Sending", async () => {
      await sendNow(page, subject, ["Guardians / contacts", "Students"]);
      await tab(page, "In Progress").click();
      const mine = entry(page, subject);
      await expectText(mine.locator(".status"), /^Sending$/, "the new run's status", 30_000);
      await page.getByRole("link", { name: `View Details: ${subject}` }).click();
      await page.getByRole("heading", { name: subject, level: 1 }).waitFor();
      runPath = new URL(page.url()).pathname;
      await expectText(runStatus(page), /^Sending$/, "the run's status before the cancel");
      before = await progress(page);
      assert.ok((before.Email?.pending ?? 0) > 0, `emails should still be pending: ${JSON.stringify(before)}`);
    });

    await step(t, "Cancel Message → Confirm shows Canceling", async () => {
      await page.getByRole("link", { name: "Cancel Message" }).click();
      await page.getByRole("heading", { name: "Cancel Message", level: 1 }).waitFor();
      await page.getByText(`Stop "${subject}" now? Nothing more will be sent.`).waitFor();
      await page.getByText("It is already sending: some recipients may have received it.", { exact: false })
        .waitFor();
      // The safe way back comes first and is the prominent button; Confirm says what it does.
      const choices = page.locator(".confirm-actions").locator("a, button");
      assert.deepEqual(await choices.allTextContents(), ["Keep sending", "Confirm Cancel Message"]);
      assert.equal(await choices.first().getAttribute("class"), "button");
      await screenshots(page, "dispatch-cancel-confirm");
      await page.getByRole("button", { name: "Confirm" }).click();
      await page.waitForURL((url) => url.pathname === runPath);
      await page.getByRole("heading", { name: subject, level: 1 }).waitFor();
      await expectText(runStatus(page), /^(Canceling|Canceled)$/, "the run's status after Confirm");
      if ((await runStatus(page).textContent())?.trim() === "Canceling") {
        await page.getByText("Canceling: waiting for the providers to confirm.", { exact: false }).waitFor();
      }
      assert.equal(await page.getByRole("link", { name: "Cancel Message" }).count(), 0);
      await page.locator("section[aria-labelledby=timeline-h] li", { hasText: "Canceling (by Marcus Lee)" }).waitFor();
      await screenshot(page, "dispatch-canceling");
      // Canceling becomes Canceled on the page as it stands: refreshed in place, not reloaded.
      await page.evaluate(() => ((globalThis as unknown as { sameDocument: boolean }).sameDocument = true));
      await expectText(runStatus(page), /^Canceled$/, "the run's status once the cancel is done", SEND_TIMEOUT_MS);
      assert.ok(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument));
      await expectText(page.locator(".refresh-status"), /^Updated \d{1,2}:\d{2}/, "the refresh status");
    });

    await step(t, "Sent shows it Canceled, with some delivered and the rest canceled", async () => {
      const sent = await openSent(page, subject);
      await expectText(sent.locator(".status"), /^Canceled$/, "the status on /sent");
      const line = (await sent.locator(".counts-line").textContent())?.trim() ?? "";
      const counts = parseCounts(line);
      assert.match(line, /canceled/, line);
      assert.ok((counts.Email?.canceled ?? 0) > 0, `some emails canceled: ${line}`);
      assert.ok((counts.Email?.delivered ?? 0) > 0, `some emails went before the cancel: ${line}`);
      assert.ok(
        (counts.Email?.delivered ?? 0) >= (before.Email?.delivered ?? 0),
        `at least the ${before.Email?.delivered} emails delivered before the cancel: ${line}`,
      );
      assert.equal(pending(counts), 0, `nothing left pending: ${line}`);
      for (const mode of Object.keys(before)) {
        assert.equal(total(counts[mode]), total(before[mode]), `${mode}: every copy counted once: ${line}`);
      }
      await screenshots(page, "dispatch-sent-canceled");

      await page.getByRole("link", { name: `View Details: ${subject}` }).click();
      await page.waitForURL((url) => url.pathname === runPath);
      await expectText(runStatus(page), /^Canceled$/, "the run's status");
      const final = await progress(page);
      for (const mode of Object.keys(counts)) {
        assert.equal(final[mode].pending, 0, `${mode} pending on View Details`);
        assert.equal(final[mode].delivered, counts[mode].delivered ?? 0, `${mode} delivered on View Details`);
        assert.equal(final[mode].canceled, counts[mode].canceled ?? 0, `${mode} canceled on View Details`);
      }
      await screenshots(page, "dispatch-run-details-canceled");
    });
  }, { env: CANCEL_ENV });
});

Deno.test("office: find a sent message by its Message ID, filter its Recipient Report to failures, export the CSV", async () => {
  // A real SMTP server that refuses every address starting with "a": those emails fail with a 550.
  const sink = await startSink();
  sink.rejectWhen = (address) => address.startsWith("a");
  try {
    await withApp("dispatch-report", async ({ app, page }) => {
      const subject = "Report card pickup";
      await signIn(page, app.baseUrl, "office");
      await sendNow(page, subject, ["Guardians / contacts"]);
      // Wait until it is on the Sent list, and read its Message ID there.
      await sentLink(page).click();
      let id = "";
      await eventually("the run should be on the Sent list", async () => {
        await page.reload();
        const found = page.locator("li.entry").filter({ has: page.locator("h3.subject", { hasText: subject }) });
        if (await found.count() === 0) return false;
        id = ((await found.locator("code").textContent()) ?? "").trim();
        return id.length === 12;
      }, SEND_TIMEOUT_MS);
      await page.getByRole("textbox", { name: "Message ID" }).fill(id.toLowerCase());
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL((url) => url.searchParams.get("messageId") === id.toLowerCase());
      assert.equal(await page.locator(".entries > li").count(), 1, "exactly the run with that Message ID");
      await page.getByRole("link", { name: `View Details: ${subject}` }).click();
      await page.getByRole("link", { name: "Recipient Report" }).click();
      await page.getByRole("combobox", { name: "State" }).selectOption("failed");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL((url) => url.searchParams.get("state") === "failed");
      const rows = page.locator("table.report-table tbody tr");
      const failed = await rows.count();
      assert.ok(failed > 0, "some addresses were refused");
      for (let i = 0; i < failed; i++) {
        const text = (await rows.nth(i).textContent()) ?? "";
        assert.match(text, /failed/);
        assert.match(text, /550/);
      }
      await screenshots(page, "dispatch-report-failed");
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Export CSV" }).click(),
      ]);
      const csv = await Deno.readTextFile((await download.path())!);
      const lines = csv.trim().split("\r\n");
      assert.equal(lines[0].split(",")[0], "run_id");
      assert.equal(lines.length - 1, failed, "the CSV has the filtered rows");
      for (const line of lines.slice(1)) {
        assert.ok(line.startsWith(`${id},`), line);
        assert.match(line, /,email,a\*\*\*@[^,]+,failed,/);
      }
      assert.ok(sink.messages.length > failed, "the other addresses received it");
      assert.ok(sink.messages.every((m) => !JSON.stringify(m.to).includes('"address":"a')), "nobody refused got it");
    }, { env: { DISPATCH_SECONDS: "1", REFRESH_SECONDS: "2", SMTP_URL: sink.url } });
  } finally {
    await sink.close();
  }
});
