/**
 * New Message / Edit Message / Cancel end to end: the three-step wizard
 * driven through Chromium the way a person clicks (see support.ts). Dates
 * are relative to today in the district's zone, so the tests hold any day.
 */
import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import {
  entry,
  eventually,
  expectGone,
  expectSubjects,
  expectText,
  screenshot,
  signIn,
  subjects,
  withApp,
} from "./support.ts";

const TIME_ZONE = "America/Chicago";
type StepLabel = "1 Recipients" | "2 Content" | "3 Send Options";

/** Today's date (YYYY-MM-DD) in the district's time zone. */
function districtToday(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function weekdayName(date: string): string {
  return ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"][
    new Date(`${date}T00:00:00Z`).getUTCDay()
  ];
}

/** "Wed, Dec 2, 2026": how the app starts a delivery time ("…, 7:00 AM CST"). */
function dateLabel(date: string): string {
  return new Intl.DateTimeFormat("en-US", {
    timeZone: "UTC",
    weekday: "short",
    month: "short",
    day: "numeric",
    year: "numeric",
  }).format(new Date(`${date}T00:00:00Z`));
}

/** The Wednesday of next week (weeks start on Monday): 3 to 9 days from today. */
function wednesdayNextWeek(today: string): string {
  const sinceMonday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(today, 7 - sinceMonday + 2);
}

/** A tiny one-page PDF, written to a temporary directory. */
async function writePdf(dir: string, name: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(
    path,
    "%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
      "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
  );
  return path;
}

/** A pattern that matches exactly `text`. */
function exactly(text: string): RegExp {
  return new RegExp(`^${text.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

function group(page: Page, name: string | RegExp): Locator {
  return page.getByRole("group", { name, exact: typeof name === "string" });
}

/** Waits until the wizard shows `label` as the current step. */
async function expectStep(page: Page, label: StepLabel): Promise<void> {
  await page.locator(`ol.steps button[aria-current="step"]`, { hasText: label }).waitFor();
  assert.match(new URL(page.url()).pathname, /^\/compose\/[0-9A-Z]{12}\/(recipients|content|send)$/);
}

async function next(page: Page, to: StepLabel): Promise<void> {
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await expectStep(page, to);
}

/** New Message on Upcoming Messages: a fresh draft on step 1. */
async function startNewMessage(page: Page): Promise<void> {
  await page.getByRole("button", { name: "New Message" }).click();
  await page.getByRole("heading", { name: "New Message", level: 1 }).waitFor();
  await expectStep(page, "1 Recipients");
}

/** The text of the Upcoming Messages notice after Send, Update or Cancel. */
async function expectDone(page: Page, text: string): Promise<void> {
  await page.waitForURL((url) => url.pathname === "/messages");
  await page.getByRole("heading", { name: "Upcoming Messages", level: 1 }).waitFor();
  await expectText(page.getByRole("status"), exactly(text), "the notice");
}

/** The date input of Send Options: "Date" for a one-time message, "Start date" for a recurring one. */
function dateField(page: Page, recurring: boolean): Locator {
  return page.getByRole("textbox", { name: recurring ? /^Start date/ : /^Date/ });
}

async function chooseModes(page: Page, modes: string[]): Promise<void> {
  for (const mode of ["Inbox", "Email", "Text", "Voice"]) {
    await group(page, "Delivery modes").getByRole("checkbox", { name: mode, exact: true }).setChecked(
      modes.includes(mode),
    );
  }
}

async function texts(locator: Locator): Promise<string[]> {
  return (await locator.allTextContents()).map((t) => t.replaceAll(/\s+/g, " ").trim());
}

/**
 * Checks a Next deliveries list of a weekly pattern: the items are the weekly
 * dates from `first` on, in order, at 7:00 AM; skipped days (no school) are
 * listed and marked. Returns the items' texts.
 */
async function expectWeeklyDeliveries(items: Locator, first: string, last: string): Promise<string[]> {
  await items.first().waitFor();
  const seen = await texts(items);
  const weeks = Math.floor((Date.parse(last) - Date.parse(first)) / (7 * 86_400_000)) + 1;
  const kept = seen.filter((t) => !t.includes("skipped"));
  assert.ok(
    kept.length === 5 || (kept.length > 0 && seen.length === weeks),
    `five deliveries (or all that are left) expected: ${JSON.stringify(seen)}`,
  );
  seen.forEach((text, i) => {
    const want = `${dateLabel(addDays(first, 7 * i))}, 7:00 AM`;
    assert.ok(text.startsWith(want), `delivery ${i + 1} should start with "${want}": ${JSON.stringify(seen)}`);
    assert.ok(!text.includes("skipped") || /\(skipped: no school, .+\)$/.test(text), `odd skip mark: ${text}`);
  });
  return seen;
}

const SUBJECT = "Science fair projects due";
const FILE = "science-fair-rules.pdf";
const TEXT = "Hi {{student.firstName}}, science fair projects are due. Rules sent by email.";

Deno.test("office: create a weekly Priority message with an attachment, edit its start, cancel the series", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "wizard-e2e-" });
  try {
    const pdf = await writePdf(dir, FILE);
    await withApp("wizard-office", async ({ app, page }) => {
      await signIn(page, app.baseUrl, "office");
      const before = (await subjects(page)).map((s) => s.trim());
      assert.ok(before.length > 0, "Marcus Lee has demo messages");
      assert.ok(!before.includes(SUBJECT));

      const today = districtToday();
      const start = wednesdayNextWeek(today);
      const end = addDays(start, 8 * 7);
      const later = addDays(start, 14);
      assert.equal(weekdayName(start), "Wednesday");
      let detailsPath = "";
      let firstDelivery = "";

      await t.step("Recipients: Lincoln's calendar, guardians; ticking a grade updates the preview", async () => {
        await startNewMessage(page);
        const calendar = page.getByRole("combobox", { name: "Calendar", exact: true });
        const options = await texts(calendar.locator("option"));
        assert.equal(options.length, 1, `calendars offered: ${options}`);
        assert.match(options[0], /Lincoln Elementary$/);
        const types = group(page, "Recipient types");
        assert.equal(await types.getByRole("checkbox", { name: "Guardians / contacts" }).isChecked(), true);
        await types.getByRole("checkbox", { name: "Students" }).waitFor();
        const summary = page.locator("#recipient-preview section[aria-labelledby=recipients-h] > p");
        await expectText(summary, /^\d+ people, \d+ copies/, "the recipient preview");
        const everyone = Number((await summary.textContent())?.match(/^(\d+) people/)?.[1]);
        await group(page, /^Grades/).getByRole("checkbox", { name: "Grade 3", exact: true }).check();
        // htmx posts the form on change and swaps the preview in place.
        await eventually(
          `the preview should count fewer people for grade 3 than for every grade (${everyone})`,
          async () => {
            const grade3 = Number((await summary.textContent())?.match(/^(\d+) people/)?.[1]);
            return grade3 > 0 && grade3 < everyone;
          },
        );
        assert.equal(await page.getByRole("checkbox", { name: /^Contacts message limit/ }).isChecked(), true);
        await screenshot(page, "wizard-recipients");
        await next(page, "2 Content");
      });

      await t.step("Content: email and text with a merge field, a live segment counter, a PDF attached", async () => {
        await page.getByRole("textbox", { name: "Subject", exact: true }).fill(SUBJECT);
        // The email editor: plain typing makes a paragraph.
        await page.getByRole("textbox", { name: "Email", exact: true }).fill(
          "Dear family of {{student.firstName}}, Science fair projects are due. The rules are attached.",
        );
        const text = page.getByRole("textbox", { name: /^Text message/ });
        const counter = page.locator("#text-count");
        await expectText(counter, /^0 characters$/, "the counter of an empty text");
        await text.click();
        await text.pressSequentially("Hi");
        await expectText(counter, /^2 characters: 1 text, room for 158 more$/, "after typing Hi");
        // Braces are GSM-7 extension characters: two septets each.
        await text.pressSequentially(" {{student.firstName}}");
        await expectText(
          counter,
          /^24 characters: 1 text, room for 132 more$/,
          "after typing a merge field",
        );
        await text.pressSequentially(", science fair projects are due next week. ".repeat(4));
        await expectText(counter, /^\d+ characters: 2 texts, room for \d+ more in the last$/, "a long text");
        assert.match((await counter.getAttribute("class")) ?? "", /\bwarn\b/);
        await text.fill("");
        await text.pressSequentially(TEXT);
        // Four braces: four septets more than characters.
        const final = `${TEXT.length} characters: 1 text, room for ${160 - TEXT.length - 4} more`;
        await expectText(counter, exactly(final), "the final text");

        // Preview fills the merge fields for one real recipient.
        await page.getByRole("button", { name: "Preview", exact: true }).click();
        const preview = page.getByRole("region", { name: /^Preview for / });
        await preview.waitFor();
        await expectStep(page, "2 Content");
        const rendered = preview.locator("dt", { hasText: /^Text$/ }).locator("xpath=following-sibling::dd[1]");
        await expectText(
          rendered,
          /^Hi [A-Z][a-z]+.*, science fair projects are due\. Rules sent by email\.$/,
          "merged text",
        );
        assert.ok(!(await rendered.textContent())?.includes("{{"), "the merge field was not filled in the preview");
        const email = preview.locator("dt", { hasText: /^Email$/ }).locator("xpath=following-sibling::dd[1]");
        await expectText(email, /^Dear family of [A-Z][a-z]+.*,\s+Science fair projects are due\./, "merged email");
        assert.equal(await text.inputValue(), TEXT, "Preview keeps the text as typed");
        await expectText(counter, exactly(final), "the counter after Preview");
        await group(page, "Attachments (email and inbox)").locator('input[type="file"]').setInputFiles(pdf);
        await screenshot(page, "wizard-content");
        await next(page, "3 Send Options");

        // Back to Content: everything typed is kept and the PDF is attached.
        await page.getByRole("button", { name: "Back", exact: true }).click();
        await expectStep(page, "2 Content");
        assert.equal(await page.getByRole("textbox", { name: "Subject", exact: true }).inputValue(), SUBJECT);
        assert.match(await text.inputValue(), /^Hi \{\{student\.firstName\}\}, science fair/);
        await expectText(counter, new RegExp(`^${TEXT.length} characters: 1 text,`), "the counter of the kept text");
        await group(page, "Attachments (email and inbox)").getByRole("checkbox", { name: `Remove ${FILE}` }).waitFor();
        await next(page, "3 Send Options");
      });

      await t.step(
        "Send Options: Priority, email and text, weekly on Wednesdays at 7:00 AM for two months",
        async () => {
          const types = await texts(group(page, "Message type").getByRole("radio").locator("xpath=.."));
          assert.deepEqual(types, ["General", "Priority"], "Marcus may send General and Priority only");
          await group(page, "Message type").getByRole("radio", { name: "Priority", exact: true }).check();
          await chooseModes(page, ["Email", "Text"]);
          await page.getByRole("radio", { name: "Send at a date and time" }).check();
          await dateField(page, false).fill(start);
          await page.getByRole("textbox", { name: "Time", exact: true }).fill("07:00");
          await page.getByRole("radio", { name: "Weekly", exact: true }).check();
          await group(page, "Weekly on").getByRole("checkbox", { name: "Wednesday", exact: true }).check();
          await page.getByRole("radio", { name: /^On a date/ }).check();
          await page.getByRole("textbox", { name: "End date", exact: true }).fill(end);
          assert.equal(
            await page.getByRole("checkbox", { name: "Skip the calendar's no-school days" }).isChecked(),
            true,
          );
          // Enter in a field shows the Next deliveries without sending.
          await page.getByRole("textbox", { name: "End date", exact: true }).press("Enter");
          const next5 = page.getByRole("region", { name: "Next deliveries" });
          await next5.waitFor();
          await expectStep(page, "3 Send Options");
          assert.equal(await dateField(page, true).inputValue(), start);
          await expectText(next5.locator("p"), /^Every week on Wednesday/, "the pattern in words");
          const items = await expectWeeklyDeliveries(next5.getByRole("listitem"), start, end);
          firstDelivery = items.find((i) => !i.includes("skipped"))!;
          await screenshot(page, "wizard-send-options");

          await page.getByRole("button", { name: "Send", exact: true }).click();
          await expectDone(page, "The message is scheduled.");
          await expectSubjects(page, [...before, SUBJECT]);
          const mine = entry(page, SUBJECT);
          await expectText(mine.locator(".type"), /^Priority$/, "the type label");
          await mine.getByRole("img", { name: "Recurring", exact: true }).waitFor();
          await mine.getByRole("img", { name: "Attachment", exact: true }).waitFor();
          await mine.locator(".mode", { hasText: "Email" }).waitFor();
          await mine.locator(".mode", { hasText: "Text" }).waitFor();
          assert.equal(await mine.locator(".mode", { hasText: "Voice" }).count(), 0);
          assert.equal(await mine.locator(".mode", { hasText: "Inbox" }).count(), 0);
          const time = (await mine.locator("time").textContent())?.trim() ?? "";
          assert.match(time, /, 7:00 AM C[SD]T$/);
          assert.equal(time, firstDelivery, "the list's next delivery is the first one the wizard showed");
          await expectText(mine.locator(".pattern"), /^Every week on Wednesday/, "the pattern in the list");
          await screenshot(page, "wizard-scheduled");
        },
      );

      await t.step("View Details shows the deliveries, the attachment and who created it", async () => {
        await page.getByRole("link", { name: `View Details: ${SUBJECT}` }).click();
        await page.getByRole("heading", { name: SUBJECT, level: 1 }).waitFor();
        detailsPath = new URL(page.url()).pathname;
        assert.match(detailsPath, /^\/messages\/[0-9A-Z]{12}$/);
        await expectWeeklyDeliveries(
          page.getByRole("list", { name: "Next deliveries" }).getByRole("listitem"),
          start,
          end,
        );
        await page.getByRole("link", { name: FILE }).waitFor();
        await page.locator(".marks").getByText("Priority", { exact: true }).waitFor();
        const history = page.locator("section[aria-labelledby=history-h] li");
        await expectText(history, /: created by Marcus Lee$/, "the history");
        // Who gets it: guardians of grade 3 only.
        await page.getByRole("table", { name: "By recipient type" }).getByRole("rowheader", {
          name: "Guardians / contacts",
        }).waitFor();
      });

      await t.step("Edit Message: the start moves two weeks later", async () => {
        await page.getByRole("link", { name: "Edit Message" }).click();
        await page.getByRole("heading", { name: `Edit Message: ${SUBJECT}`, level: 1 }).waitFor();
        await expectStep(page, "1 Recipients");
        await page.getByRole("link", { name: "Cancel Series" }).waitFor();
        assert.equal(
          await group(page, /^Grades/).getByRole("checkbox", { name: "Grade 3", exact: true }).isChecked(),
          true,
        );
        await page.getByRole("button", { name: "3 Send Options" }).click();
        await expectStep(page, "3 Send Options");
        // The form comes back as it was sent.
        assert.equal(await group(page, "Message type").getByRole("radio", { name: "Priority" }).isChecked(), true);
        for (const [mode, on] of [["Inbox", false], ["Email", true], ["Text", true], ["Voice", false]] as const) {
          assert.equal(await group(page, "Delivery modes").getByRole("checkbox", { name: mode }).isChecked(), on, mode);
        }
        assert.equal(await page.getByRole("radio", { name: "Weekly", exact: true }).isChecked(), true);
        assert.equal(await group(page, "Weekly on").getByRole("checkbox", { name: "Wednesday" }).isChecked(), true);
        assert.equal(await dateField(page, true).inputValue(), start);
        assert.equal(await page.getByRole("textbox", { name: "Time", exact: true }).inputValue(), "07:00");
        assert.equal(await page.getByRole("textbox", { name: "End date", exact: true }).inputValue(), end);

        await dateField(page, true).fill(later);
        await page.getByRole("button", { name: "Update", exact: true }).click();
        await expectDone(page, "The message was updated.");
        await expectSubjects(page, [...before, SUBJECT]);
        const time = (await entry(page, SUBJECT).locator("time").textContent())?.trim() ?? "";
        assert.ok(!time.startsWith(dateLabel(start)), `the old first delivery is still next: ${time}`);
        await expectText(entry(page, SUBJECT).locator(".people"), /Modified By\s*Marcus Lee/, "Modified By");

        await page.getByRole("link", { name: `View Details: ${SUBJECT}` }).click();
        await page.getByRole("heading", { name: SUBJECT, level: 1 }).waitFor();
        const items = await expectWeeklyDeliveries(
          page.getByRole("list", { name: "Next deliveries" }).getByRole("listitem"),
          later,
          end,
        );
        for (const gone of [start, addDays(start, 7)]) {
          assert.ok(!items.some((i) => i.startsWith(dateLabel(gone))), `${gone} is still listed: ${items}`);
        }
        const edited = page.locator("section[aria-labelledby=history-h] li", { hasText: "edited by Marcus Lee" });
        await edited.waitFor();
        const row = edited.getByRole("row", { name: /^Schedule/ });
        const [was, now] = await texts(row.getByRole("cell"));
        assert.match(was, new RegExp(`starting ${start}`));
        assert.match(now, new RegExp(`starting ${later}`));
        // Nothing else changed.
        assert.deepEqual(await texts(edited.getByRole("rowheader")), ["Schedule"]);
        await screenshot(page, "wizard-details-after-edit");
      });

      await t.step("Edit Message → Cancel Series → Confirm removes it from Upcoming Messages", async () => {
        await page.getByRole("link", { name: "Edit Message" }).click();
        await expectStep(page, "1 Recipients");
        await page.getByRole("link", { name: "Cancel Series" }).click();
        await page.getByRole("heading", { name: "Cancel Series", level: 1 }).waitFor();
        await page.getByText(`Cancel every future occurrence of "${SUBJECT}"?`).waitFor();
        await screenshot(page, "wizard-cancel-confirm");
        await page.getByRole("button", { name: "Confirm" }).click();
        await expectDone(page, "The message was canceled.");
        await expectSubjects(page, before);
        await expectGone(entry(page, SUBJECT));

        await page.goto(`${app.baseUrl}${detailsPath}`);
        await expectText(page.getByRole("status"), /^Canceled by Marcus Lee, /, "the canceled notice");
        assert.equal(await page.getByRole("link", { name: "Edit Message" }).count(), 0);
        await expectText(
          page.locator("section[aria-labelledby=history-h] li"),
          /: canceled the series by Marcus Lee$/,
          "the newest history entry",
        );
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without JavaScript, New Message works as plain forms: a one-time General email for tomorrow", async () => {
  await withApp("wizard-no-js", async ({ app, page }) => {
    await signIn(page, app.baseUrl, "office");
    const before = (await subjects(page)).map((s) => s.trim());
    const subject = "Library books due back";
    const tomorrow = addDays(districtToday(), 1);

    await startNewMessage(page);
    const summary = page.locator("#recipient-preview section[aria-labelledby=recipients-h] > p");
    await expectText(summary, /^\d+ people, \d+ copies/, "the recipient preview");
    const everyone = await summary.textContent();
    await group(page, /^Grades/).getByRole("checkbox", { name: "K", exact: true }).check();
    // Ticking does nothing by itself without JavaScript; Update preview posts the form.
    assert.equal(await summary.textContent(), everyone);
    await page.getByRole("button", { name: "Update preview" }).click();
    await expectStep(page, "1 Recipients");
    assert.equal(await group(page, /^Grades/).getByRole("checkbox", { name: "K", exact: true }).isChecked(), true);
    await eventually("the preview after Update preview", async () => (await summary.textContent()) !== everyone);
    await next(page, "2 Content");

    await page.getByRole("textbox", { name: "Subject", exact: true }).fill(subject);
    await page.getByRole("textbox", { name: "Email", exact: true }).fill(
      "<p>Dear {{recipient.firstName}}, library books are due back on Friday.</p>",
    );
    await next(page, "3 Send Options");

    await group(page, "Message type").getByRole("radio", { name: "General", exact: true }).check();
    await chooseModes(page, ["Email"]);
    await page.getByRole("radio", { name: "Send at a date and time" }).check();
    await dateField(page, false).fill(tomorrow);
    await page.getByRole("textbox", { name: "Time", exact: true }).fill("09:30");
    assert.equal(await page.getByRole("radio", { name: "Does not repeat" }).isChecked(), true);
    await screenshot(page, "wizard-no-js-send-options");
    await page.getByRole("button", { name: "Send", exact: true }).click();

    await expectDone(page, "The message is scheduled.");
    await expectSubjects(page, [...before, subject]);
    const mine = entry(page, subject);
    await expectText(mine.locator(".type"), /^General$/, "the type label");
    await mine.locator(".mode", { hasText: "Email" }).waitFor();
    for (const absent of ["Recurring", "Attachment", "Text", "Voice", "Inbox"]) {
      assert.equal(await mine.getByRole("img", { name: absent, exact: true }).count(), 0, absent);
    }
    await expectText(
      mine.locator("time"),
      new RegExp(`^${dateLabel(tomorrow)}, 9:30 AM C[SD]T$`),
      "the delivery time",
    );
    await screenshot(page, "wizard-no-js-scheduled");
  }, { context: { javaScriptEnabled: false } });
});

Deno.test("Send Options: a date in the past is refused next to the field, the form stays filled, fixing it sends", async () => {
  await withApp("wizard-past-date", async ({ app, page }) => {
    await signIn(page, app.baseUrl, "office");
    const before = (await subjects(page)).map((s) => s.trim());
    const subject = "Picture order forms";
    const today = districtToday();
    const yesterday = addDays(today, -1);
    const tomorrow = addDays(today, 1);

    await startNewMessage(page);
    await next(page, "2 Content");
    await page.getByRole("textbox", { name: "Subject", exact: true }).fill(subject);
    await page.getByRole("textbox", { name: /^Text message/ }).fill("Picture order forms are due Monday.");
    await next(page, "3 Send Options");

    await group(page, "Message type").getByRole("radio", { name: "Priority", exact: true }).check();
    await chooseModes(page, ["Text"]);
    await page.getByRole("radio", { name: "Send at a date and time" }).check();
    await dateField(page, false).fill(yesterday);
    await page.getByRole("textbox", { name: "Time", exact: true }).fill("10:15");
    const refused = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/send"));
    await page.getByRole("button", { name: "Send", exact: true }).click();
    assert.equal((await refused).status(), 400);

    // Still on Send Options, with the reason next to the Date field.
    await page.getByRole("alert").waitFor();
    await expectStep(page, "3 Send Options");
    await expectText(page.getByRole("alert"), /in the past/, "the error summary");
    const date = dateField(page, false);
    assert.equal(await date.getAttribute("aria-invalid"), "true");
    assert.equal(await date.getAttribute("aria-describedby"), "date-error", "the error describes the field");
    await expectText(page.locator("#date-error"), /in the past/, "the error next to Date");
    assert.equal(await page.locator(".error", { hasText: "in the past" }).count(), 1);
    await screenshot(page, "wizard-past-date-error");

    // Everything typed is still there.
    assert.equal(await date.inputValue(), yesterday);
    assert.equal(await page.getByRole("textbox", { name: "Time", exact: true }).inputValue(), "10:15");
    assert.equal(await group(page, "Message type").getByRole("radio", { name: "Priority" }).isChecked(), true);
    for (const [mode, on] of [["Inbox", false], ["Email", false], ["Text", true], ["Voice", false]] as const) {
      assert.equal(await group(page, "Delivery modes").getByRole("checkbox", { name: mode }).isChecked(), on, mode);
    }
    assert.equal(await page.getByRole("radio", { name: "Send at a date and time" }).isChecked(), true);
    assert.equal(await page.getByRole("radio", { name: "Does not repeat" }).isChecked(), true);
    assert.equal(await page.getByRole("region", { name: "Next deliveries" }).getByRole("listitem").count(), 0);
    await page.getByRole("button", { name: "2 Content" }).click();
    await expectStep(page, "2 Content");
    assert.equal(await page.getByRole("textbox", { name: "Subject", exact: true }).inputValue(), subject);
    await next(page, "3 Send Options");
    assert.equal(await dateField(page, false).inputValue(), yesterday);

    await dateField(page, false).fill(tomorrow);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await expectDone(page, "The message is scheduled.");
    await expectSubjects(page, [...before, subject]);
    await expectText(
      entry(page, subject).locator("time"),
      new RegExp(`^${dateLabel(tomorrow)}, 10:15 AM C[SD]T$`),
      "the delivery time",
    );
  });
});

/** Screenshots the page at 1280 and at 390 px wide, failing if the phone width scrolls sideways. */
async function lookAt(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  await page.setViewportSize({ width: 390, height: 844 });
  const [scroll, client] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  assert.ok(scroll <= client, `${name} scrolls sideways at 390 px: ${scroll} > ${client}`);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

Deno.test("the email editor makes bold text that is stored as <strong>; every step fits a phone", async () => {
  await withApp("wizard-editor", async ({ app, page }) => {
    await signIn(page, app.baseUrl, "office");
    const subject = "Coats for the field trip";
    const today = districtToday();
    const start = wednesdayNextWeek(today);
    const skipped = addDays(start, 7);

    await startNewMessage(page);
    await lookAt(page, "wizard-step1");
    await next(page, "2 Content");
    await page.getByRole("textbox", { name: "Subject", exact: true }).fill(subject);
    const editor = page.getByRole("textbox", { name: "Email", exact: true });
    assert.equal(await editor.getAttribute("contenteditable"), "true", "the editor, not the HTML box");
    await editor.click();
    await editor.pressSequentially("Please send ");
    const bold = page.getByRole("toolbar", { name: "Email formatting" }).getByRole("button", { name: "Bold" });
    await bold.click();
    await editor.pressSequentially("a warm coat");
    await bold.click();
    await editor.pressSequentially(" on Friday.");
    await expectText(editor.locator("b, strong"), /^a warm coat$/, "the bold words in the editor");
    await lookAt(page, "wizard-step2");
    await next(page, "3 Send Options");

    await chooseModes(page, ["Email"]);
    // Send Now shows nothing of the date or the pattern; a date and time shows them.
    await page.getByRole("radio", { name: "Send Now" }).check();
    assert.equal(await dateField(page, false).isVisible(), false);
    assert.equal(await group(page, "Recurrence Pattern").isVisible(), false);
    await page.getByRole("radio", { name: "Send at a date and time" }).check();
    await dateField(page, false).fill(start);
    await page.getByRole("textbox", { name: "Time", exact: true }).fill("07:00");
    assert.equal(await group(page, "Weekly on").isVisible(), false, "Weekly on hides for Does not repeat");
    await lookAt(page, "wizard-step3-once");
    await page.getByRole("radio", { name: "Weekly", exact: true }).check();
    await group(page, "Weekly on").getByRole("checkbox", { name: "Wednesday", exact: true }).check();
    assert.equal(await group(page, "Monthly on").isVisible(), false, "Monthly on hides for Weekly");
    await page.getByRole("radio", { name: "After a number of occurrences" }).check();
    await page.getByRole("textbox", { name: "Number of occurrences" }).fill("4");

    const skip = group(page, "Skip dates");
    await skip.getByRole("textbox", { name: "Skip a date" }).fill(skipped);
    await skip.getByRole("button", { name: "Add date" }).click();
    await skip.getByRole("button", { name: `Remove ${dateLabel(skipped)}` }).waitFor();
    const next5 = page.getByRole("region", { name: "Next deliveries" });
    await expectText(
      next5.getByRole("listitem").nth(1),
      new RegExp(`^${dateLabel(skipped)}, 7:00 AM C[SD]T \\(skipped\\)$`),
      "the skipped date in the next deliveries",
    );
    await lookAt(page, "wizard-step3-weekly");

    // Update next deliveries without a delivery mode: the reason, on the page, the form filled in.
    await chooseModes(page, []);
    const refused = page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/send"));
    await next5.getByRole("button", { name: "Update next deliveries" }).click();
    assert.equal((await refused).status(), 400);
    await expectText(page.getByRole("alert"), /Choose at least one delivery mode/, "the error summary");
    assert.equal(await group(page, "Weekly on").getByRole("checkbox", { name: "Wednesday" }).isChecked(), true);
    await lookAt(page, "wizard-step3-error");

    await chooseModes(page, ["Email"]);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await expectDone(page, "The message is scheduled.");

    await page.getByRole("link", { name: `View Details: ${subject}` }).click();
    await page.getByRole("link", { name: "Edit Message" }).click();
    await expectStep(page, "1 Recipients");
    await lookAt(page, "wizard-edit-step1");
    await page.getByRole("button", { name: "2 Content" }).click();
    await expectStep(page, "2 Content");
    // The Edit page's text box holds the email as it was stored.
    assert.match(await page.locator("textarea#emailHtml").inputValue(), /<strong>a warm coat<\/strong>/);
    await page.locator(".danger-zone").getByRole("link", { name: "Cancel Series" }).waitFor();
  });
});
