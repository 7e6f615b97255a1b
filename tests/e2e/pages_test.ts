/**
 * Every page as a person meets it: reached by clicking where a person would,
 * then checked by axe-core (0 violations) at 1280 and 390 px wide, checked
 * for sideways page scroll at 390 px, and saved as `pages-<name>-1280.png`
 * and `pages-<name>-390.png`.
 */
import assert from "node:assert/strict";
import axe from "axe-core";
import type { Page } from "playwright-core";
import { eventually, screenshot, signIn, withApp } from "./support.ts";

const WIDE = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
/** Sent with Send Now from the wizard, so that the Sent Message Log and a Recipient Report have a finished run. */
const SUBJECT = "Picture day reminder";
/** A failed run in the demo district: its View Details has the most to show. */
const FAILED_RUN = "Gym closed for floor refinishing";

interface AxeViolation {
  id: string;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** axe's violations on the page as it is now, one line per rule and element. */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in globalThis))) {
    await page.addScriptTag({ content: (axe as unknown as { source: string }).source });
  }
  const violations = await page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe.run;
    return (await run()).violations;
  });
  return violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.help}) at ${n.target.join(" ")}: ${n.failureSummary?.replace(/\s+/g, " ")}`)
  );
}

/** How far the page scrolls sideways beyond the window, in CSS pixels (0: not at all). */
function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - globalThis.innerWidth);
}

/** The widest elements that stick out past the window's right edge, to say what to fix. */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > globalThis.innerWidth + 0.5)
      .filter((el) => !el.parentElement || el.parentElement.getBoundingClientRect().right <= globalThis.innerWidth)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className ? `.${el.className}` : ""}`)
  );
}

/**
 * Checks the page the browser shows now at both widths (the same document,
 * resized: pages reached by a POST cannot be loaded again) and returns what
 * is wrong, empty when nothing is.
 */
async function checkPage(page: Page, name: string): Promise<string[]> {
  const problems: string[] = [];
  await page.setViewportSize(WIDE);
  problems.push(...(await axeViolations(page)).map((v) => `1280 px: ${v}`));
  await screenshot(page, `pages-${name}-1280`);
  await page.setViewportSize(PHONE);
  const sideways = await sidewaysScroll(page);
  if (sideways > 0) {
    problems.push(`390 px: the page scrolls ${sideways} px sideways (${(await overflowing(page)).join(", ")})`);
  }
  problems.push(...(await axeViolations(page)).map((v) => `390 px: ${v}`));
  await screenshot(page, `pages-${name}-390`);
  await page.setViewportSize(WIDE);
  return problems;
}

/** Waits until the wizard shows `label` as the current step. */
function currentStep(page: Page, label: string): Promise<void> {
  return page.locator(`ol.steps button[aria-current="step"]`, { hasText: label }).waitFor();
}

async function open(page: Page, url: string): Promise<void> {
  const res = await page.goto(url);
  assert.equal(res?.status(), 200, `GET ${url}`);
}

Deno.test("every page: no axe violations, no sideways scroll at 390 px, screenshots at 1280 and 390 px", async (t) => {
  await withApp("pages", async ({ app, page }) => {
    const base = app.baseUrl;
    /** Reaches a page, then checks it; a page that cannot be reached fails its own step only. */
    const visit = (name: string, reach: () => Promise<void>) =>
      t.step(name, async () => {
        await reach();
        assert.deepEqual(await checkPage(page, name), [], `${name} (${page.url()})`);
      });

    await visit("signin", () => open(page, `${base}/signin`));
    await signIn(page, base, "admin");

    await visit("upcoming-scheduled", () => open(page, `${base}/messages`));
    await visit("upcoming-in-progress", async () => {
      await page.getByRole("tab", { name: "In Progress", exact: true }).click();
      await page.locator(`[role="tab"][aria-selected="true"]`, { hasText: "In Progress" }).waitFor();
      await page.locator("#upcoming-list li.entry").first().waitFor();
    });
    await visit("run-details", async () => {
      await page.getByRole("link", { name: `View Details: ${FAILED_RUN}` }).click();
      await page.getByRole("heading", { name: FAILED_RUN, level: 1 }).waitFor();
    });
    await visit("message-details", async () => {
      await open(page, `${base}/messages`);
      await page.locator("#upcoming-list li.entry a.button").first().click();
      await page.waitForURL((url) => /^\/messages\/[^/]+$/.test(url.pathname));
    });

    await visit("wizard-recipients", async () => {
      await open(page, `${base}/messages`);
      await page.getByRole("button", { name: "New Message" }).click();
      await currentStep(page, "1 Recipients");
      await page.locator("#recipient-preview").waitFor();
    });
    await visit("wizard-recipients-error", async () => {
      // Every recipient type unticked: Next is refused, and the step comes back with the reason on the field.
      const types = page.getByRole("group", { name: "Recipient types" }).getByRole("checkbox");
      const ticked: number[] = [];
      for (let i = 0; i < await types.count(); i++) {
        if (await types.nth(i).isChecked()) ticked.push(i);
        await types.nth(i).setChecked(false);
      }
      const refused = page.waitForResponse((r) => r.request().method() === "POST");
      await page.getByRole("button", { name: "Next", exact: true }).click();
      assert.equal((await refused).status(), 400, "Next without a recipient type");
      await page.getByRole("alert").waitFor();
      for (const i of ticked) await types.nth(i).setChecked(true);
    });
    await visit("wizard-content-error", async () => {
      await page.getByRole("button", { name: "Next", exact: true }).click();
      await currentStep(page, "2 Content");
      const refused = page.waitForResponse((r) => r.request().method() === "POST");
      await page.getByRole("button", { name: "Next", exact: true }).click();
      assert.equal((await refused).status(), 400, "Next without a subject or any content");
      await page.getByRole("alert").waitFor();
    });
    await visit("wizard-content", async () => {
      await page.getByRole("textbox", { name: "Subject", exact: true }).fill(SUBJECT);
      await page.getByRole("textbox", { name: /^Text message/ }).fill(`${SUBJECT} is Friday.`);
      await page.getByRole("textbox", { name: /^Inbox message/ }).fill(`${SUBJECT}:\nFriday, in the gym.`);
      await page.getByRole("button", { name: "Preview", exact: true }).click();
      await page.getByRole("region", { name: /^Preview for / }).waitFor();
    });
    const modes = page.getByRole("group", { name: "Delivery modes" });
    await visit("wizard-send-options", async () => {
      await page.getByRole("button", { name: "Next", exact: true }).click();
      await currentStep(page, "3 Send Options");
      // Tomorrow at 7:00 AM by text and inbox: the text waits for the end of quiet hours, and the step says so.
      for (const mode of ["Inbox", "Email", "Text", "Voice"]) {
        await modes.getByRole("checkbox", { name: mode, exact: true }).setChecked(mode === "Text" || mode === "Inbox");
      }
      await page.getByRole("textbox", { name: "Time", exact: true }).fill("07:00");
      await page.getByRole("button", { name: "Update next deliveries" }).click();
      await page.locator("dl.goes-out dd", { hasText: "because of quiet hours" }).waitFor();
    });
    await visit("wizard-send-options-error", async () => {
      for (const mode of ["Inbox", "Email", "Text", "Voice"]) {
        await modes.getByRole("checkbox", { name: mode, exact: true }).setChecked(false);
      }
      const refused = page.waitForResponse((r) => r.request().method() === "POST");
      await page.getByRole("button", { name: "Send", exact: true }).click();
      assert.equal((await refused).status(), 400, "Send without a delivery mode");
      await page.getByRole("alert").waitFor();
    });

    for (const mode of ["Inbox", "Email", "Text", "Voice"]) {
      // Inbox too: a family reads it in the portal below, and the Recipient Report then says Read.
      await modes.getByRole("checkbox", { name: mode, exact: true }).setChecked(mode === "Text" || mode === "Inbox");
    }
    await page.getByRole("radio", { name: "Send Now", exact: true }).check();
    // The text goes now at whatever hour the test runs, not at the end of quiet hours.
    await page.getByRole("checkbox", { name: "Send texts and calls now, even in quiet hours" }).check();
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/messages");

    let reportUrl = "";
    const sent = page.locator("li.entry").filter({ has: page.locator("h3.subject", { hasText: SUBJECT }) });
    await visit("sent", () =>
      eventually(`"${SUBJECT}" should reach the Sent Message Log`, async () => {
        await open(page, `${base}/sent`);
        return (await sent.count()) === 1;
      }, 60_000));
    await visit("recipient-report", async () => {
      await sent.getByRole("link", { name: `View Details: ${SUBJECT}` }).click();
      await page.getByRole("link", { name: "Recipient Report" }).click();
      await page.getByRole("heading", { level: 1 }).waitFor();
      assert.match(new URL(page.url()).pathname, /^\/runs\/[0-9A-Z]{12}\/recipients$/);
      reportUrl = page.url();
    });

    await visit("admin-users", () => open(page, `${base}/admin/users`));
    await visit("admin-user", async () => {
      await page.locator("main table a").first().click();
      await page.waitForURL((url) => /^\/admin\/users\/[^/]+$/.test(url.pathname));
    });
    await visit("admin-people", () => open(page, `${base}/admin/people`));
    let familyLink = "";
    await visit("admin-person", async () => {
      await open(page, `${base}/admin/people/gdn1`);
      familyLink = await page.locator("#family-link").inputValue();
    });
    await visit("admin-contacts", () => open(page, `${base}/admin/contacts`));
    await visit("admin-contacts-fixed", async () => {
      await page.getByLabel("Status").selectOption("any");
      await page.getByRole("button", { name: "Filter", exact: true }).click();
      await page.locator(".contact-fixed").first().waitFor();
    });
    await visit("admin-roster", () => open(page, `${base}/admin/roster`));
    await visit("admin-settings", () => open(page, `${base}/admin/settings`));
    await visit("outbox", () => open(page, `${base}/outbox`));
    await visit("family-signin", () => open(page, `${base}/family/signin`));
    await visit("family-signin-code", async () => {
      await page.getByLabel("Email address or mobile number").fill("(612) 555-3170");
      await page.getByRole("button", { name: "Send", exact: true }).click();
      await page.getByRole("heading", { name: "Enter your code" }).waitFor();
    });

    await visit("family-preferences", async () => {
      assert.match(familyLink, /\/preferences\/gdn1\//, "the guardian's page shows the family's link");
      await page.context().clearCookies();
      await open(page, familyLink);
    });
    await visit("family-messages", async () => {
      await page.getByRole("link", { name: "Messages", exact: true }).click();
      await page.getByRole("heading", { name: /^Messages for / }).waitFor();
    });
    await visit("family-message", async () => {
      await page.getByRole("link", { name: SUBJECT }).click();
      await page.getByRole("heading", { name: SUBJECT, level: 1 }).waitFor();
      assert.match(await page.locator(".family-body").innerText(), /Friday, in the gym\./);
    });
    // The staff side: the family's open is on the Recipient Report.
    await signIn(page, base, "admin");
    await open(page, `${reportUrl}?mode=inbox&q=Kai`);
    assert.match(await page.locator("main").innerText(), /delivered · Read /);
    await visit("family-view", async () => {
      await open(page, new URL(reportUrl).href.replace(/\/recipients$/, "/family-view"));
      await page.getByRole("note").getByText(/^Preview: this is how /).waitFor();
    });
  }, {
    env: { DISPATCH_SECONDS: "1" },
    // axe is injected as an inline script, which the app's CSP rightly refuses.
    context: { bypassCSP: true },
  });
});
