/**
 * Send safeguards end to end in Chromium (issue 16): an administrator sets
 * the large-send threshold low and links the office account to its roster
 * staff record; the office sends itself a test (it lands in the outbox,
 * marked [Test]) and then must type the recipient count before a send to
 * more than the threshold goes, with JavaScript and without.
 */
import assert from "node:assert/strict";
import axe from "axe-core";
import type { Page } from "playwright-core";
import { expectText, newPage, screenshots, signIn, withApp } from "./support.ts";

const TIME_ZONE = "America/Chicago";
/** Sofia Haddad, a Lincoln staff member in the demo roster: the office account is linked to her record. */
const STAFF = { id: "stf-lincoln-1", email: "sofia.haddad.lincoln0@maplevalley.example", phone: "+16125550341" };
const SUBJECT = "Book fair next week";

function tomorrow(): string {
  const today = new Intl.DateTimeFormat("en-CA", {
    timeZone: TIME_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  })
    .format(new Date());
  const [y, m, d] = today.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** axe's violations on the page as it is now (as tests/e2e/pages_test.ts checks every page). */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in globalThis))) {
    await page.addScriptTag({ content: (axe as unknown as { source: string }).source });
  }
  return await page.evaluate(async () => {
    type Result = { violations: { id: string; nodes: { target: unknown[] }[] }[] };
    const run = (globalThis as unknown as { axe: { run(): Promise<Result> } }).axe.run;
    return (await run()).violations.flatMap((v) => v.nodes.map((n) => `${v.id} at ${n.target.join(" ")}`));
  });
}

async function expectStep(page: Page, label: string): Promise<void> {
  await page.locator(`ol.steps button[aria-current="step"]`, { hasText: label }).waitFor();
}

/** New Message to every Lincoln guardian, with an email and a text that use merge fields; ends on Send Options. */
async function composeToEveryGuardian(page: Page, subject: string): Promise<void> {
  await page.getByRole("button", { name: "New Message" }).click();
  await expectStep(page, "1 Recipients");
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await expectStep(page, "2 Content");
  await page.getByRole("textbox", { name: "Subject", exact: true }).fill(subject);
  await page.getByRole("textbox", { name: "Email", exact: true }).fill(
    "Dear {{recipient.firstName}}, the book fair opens next week for {{student.firstName}}'s class.",
  );
  await page.getByRole("textbox", { name: /^Text message/ }).fill("Book fair next week for {{student.firstName}}.");
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await expectStep(page, "3 Send Options");
  const modes = page.getByRole("group", { name: "Delivery modes", exact: true });
  for (const mode of ["Inbox", "Email", "Text", "Voice"]) {
    await modes.getByRole("checkbox", { name: mode, exact: true }).setChecked(mode === "Email" || mode === "Text");
  }
}

Deno.test("safeguards: Send a test to me lands in the outbox as [Test]; a large send needs its count typed", async (t) => {
  await withApp("safeguards", async ({ app, browser, page }) => {
    const admin = await newPage(browser);
    let count = "";
    try {
      await t.step(
        "an administrator sets the threshold to 20 and links the office account to its staff record",
        async () => {
          await signIn(admin.page, app.baseUrl, "admin");
          await admin.page.goto(`${app.baseUrl}/admin/settings`);
          await admin.page.getByRole("textbox", { name: /^Ask for confirmation above/ }).fill("20");
          await admin.page.getByRole("button", { name: "Save settings" }).click();
          await admin.page.getByText("The settings are saved.").waitFor();
          await admin.page.goto(`${app.baseUrl}/admin/users/usr-office`);
          await admin.page.getByRole("combobox", { name: /^Roster staff record/ }).fill(STAFF.id);
          await admin.page.getByRole("button", { name: "Save", exact: true }).click();
          await admin.page.getByText(/Linked to Sofia Haddad/).waitFor();
        },
      );

      await t.step("Send a test to me from Send Options: the roster's address, a result on the step", async () => {
        await signIn(page, app.baseUrl, "office");
        await composeToEveryGuardian(page, SUBJECT);
        const test = page.getByRole("region", { name: "Send a test to me" });
        assert.equal(await test.getByRole("textbox", { name: "Your email" }).inputValue(), STAFF.email);
        assert.equal(await test.getByRole("textbox", { name: /^Your phone/ }).inputValue(), STAFF.phone);
        await expectText(
          test.locator("p.hint"),
          /^Sends you a copy by each mode ticked above except Inbox, marked \[Test\]/,
          "what it sends",
        );
        await test.getByRole("button", { name: "Send a test to me" }).click();
        const result = test.getByRole("status");
        await expectText(result, /^Test sent at \d{1,2}:\d{2} [AP]M\. Filled in for \w+ \w+\./, "the test's result");
        await test.getByText(`Email to ${STAFF.email}: sent`).waitFor();
        await test.getByText(`Text to ${STAFF.phone}: sent`).waitFor();
        // The page came back where the button is, and the step is as it was: the draft is kept.
        assert.equal(new URL(page.url()).hash, "#test-send");
        await expectStep(page, "3 Send Options");
        assert.equal(
          await page.getByRole("group", { name: "Delivery modes" }).getByRole("checkbox", { name: "Text" }).isChecked(),
          true,
        );
        assert.deepEqual(await axeViolations(page), []);
        await screenshots(page, "safeguards-test-sent");
      });

      await t.step("the copies are in the outbox, marked [Test], filled in for a real recipient", async () => {
        await admin.page.goto(`${app.baseUrl}/outbox`);
        const rows = admin.page.getByRole("row").filter({ hasText: STAFF.email });
        await expectText(rows.locator("strong"), /^\[Test\] Book fair next week$/, "the test email's subject");
        await expectText(
          rows.locator(".content"),
          /^\[Test\] Filled in as \w+ \w+ would get it\. Only you received this copy\.\s+Dear \w+, the book fair opens next week for \w+'s class\./,
          "the test email, merged",
        );
        const text = admin.page.getByRole("row").filter({ hasText: STAFF.phone });
        await expectText(text.locator(".content"), /^\[Test\] Book fair next week for [A-Z]\w+\.$/, "the test text");
        assert.equal(await admin.page.getByRole("row").count(), 3, "a header and the two test copies: nothing else");
      });

      await t.step(
        "Send: the count and the modes are shown; a wrong count is refused; the right one sends",
        async () => {
          await page.getByRole("radio", { name: "Send at a date and time" }).check();
          await page.getByRole("textbox", { name: /^Date/ }).fill(tomorrow());
          await page.getByRole("textbox", { name: "Time", exact: true }).fill("09:00");
          const refused = page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/send"));
          await page.getByRole("button", { name: "Send", exact: true }).click();
          assert.equal((await refused).status(), 422);
          const confirm = page.getByRole("region", { name: /^Send to [\d,]+ recipients\?$/ });
          await confirm.waitFor();
          count = (await confirm.getByRole("heading").textContent())!.match(/^Send to ([\d,]+) recipients\?$/)![1];
          assert.ok(Number(count.replaceAll(",", "")) > 20, `more than the threshold: ${count}`);
          await expectText(
            confirm.locator("p"),
            new RegExp(`^This message goes to ${count} recipients by Email and Text\\. Your district asks`),
            "the count and the modes",
          );
          const box = confirm.getByRole("textbox", { name: `Type ${count} to confirm` });
          // The box has the focus: the sender can type at once.
          assert.equal(await box.evaluate((el) => el === document.activeElement), true);
          assert.deepEqual(await axeViolations(page), []);
          await screenshots(page, "safeguards-confirm");

          await box.fill("20");
          const wrong = page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/send"));
          await confirm.getByRole("button", { name: `Send to ${count} recipients` }).click();
          assert.equal((await wrong).status(), 422);
          await expectText(
            page.locator("#confirmCount-error"),
            new RegExp(`^You typed 20: type ${count}`),
            "the wrong count",
          );
          assert.equal(await box.getAttribute("aria-invalid"), "true");
          assert.deepEqual(await axeViolations(page), []);
          await screenshots(page, "safeguards-confirm-wrong");

          await box.fill(count);
          await confirm.getByRole("button", { name: `Send to ${count} recipients` }).click();
          await page.waitForURL((url) => url.pathname === "/messages");
          await expectText(page.getByRole("status"), /^The message is scheduled\.$/, "the notice");
          await page.locator("#upcoming-list h3.subject", { hasText: SUBJECT }).waitFor();
        },
      );
    } finally {
      await admin.context.close();
    }

    await t.step("without JavaScript: Send Now asks too, and Enter in the count box sends", async () => {
      const plain = await newPage(browser, { javaScriptEnabled: false });
      try {
        await signIn(plain.page, app.baseUrl, "office");
        await composeToEveryGuardian(plain.page, "Early pickup today");
        await plain.page.getByRole("radio", { name: "Send Now" }).check();
        await plain.page.getByRole("button", { name: "Send", exact: true }).click();
        const confirm = plain.page.getByRole("region", { name: `Send to ${count} recipients?` });
        await confirm.waitFor();
        await confirm.getByRole("textbox", { name: `Type ${count} to confirm` }).fill(count);
        await confirm.getByRole("textbox", { name: `Type ${count} to confirm` }).press("Enter");
        await plain.page.waitForURL((url) => url.pathname === "/messages");
        await expectText(plain.page.getByRole("status"), /^The message is queued to send now\.$/, "the notice");
        assert.equal(new URL(plain.page.url()).searchParams.get("tab"), "in-progress");
      } finally {
        await plain.context.close();
      }
    });
  }, {
    // axe is injected as an inline script, which the app's CSP rightly refuses.
    context: { bypassCSP: true },
  });
});
