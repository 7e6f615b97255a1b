/**
 * Every family in its own language (issue 17), end to end in Chromium: the office makes a Lincoln guardian
 * Spanish-speaking on /admin/people; a staff member writes to him (Email + Text, a merge field), sees Spanish with its
 * count on Content, has it translated by DeepL (the DeepL-compatible mock on loopback, the app's deepl-node client
 * pointed at it), corrects one word, and sends now. The Spanish, corrected and merged, is then found in the email
 * the real SMTP sink received and in the outbox's text.
 */
import assert from "node:assert/strict";
import axe from "axe-core";
import type { Locator, Page } from "playwright-core";
import { eventually, expectText, newPage, screenshots, signIn, withApp } from "./support.ts";
import { startDeeplMock } from "../support/deepl_mock.ts";
import { type Sink, startSink } from "../support/smtp_sink.ts";

/** Long enough for Processing, Sending and the finish job, with DISPATCH_SECONDS=1. */
const SEND_TIMEOUT_MS = 60_000;

/** gdn1 of the demo roster: a Lincoln guardian with an email and a phone that takes texts. */
const KAI = {
  id: "gdn1",
  name: "Kai Clark",
  email: "kai.clark1@mail.example",
  phone: "+16125553170",
};

const SUBJECT = "School closed tomorrow";
const EMAIL = "Dear {{recipient.firstName}}, school is closed tomorrow for snow.";
const TEXT = "Hello {{recipient.firstName}}, school is closed tomorrow for snow.";
/** What the mock's DeepL makes of them: "[es] " and its small dictionary, "for" left in English. */
const MACHINE = {
  subject: "[es] Escuela cerrada mañana",
  email: "[es] Estimada {{recipient.firstName}}, escuela está cerrada mañana for nieve.",
  text: "[es] Hola {{recipient.firstName}}, escuela está cerrada mañana for nieve.",
};
/** The one word staff correct, in the email and in the text: "for" is "por". */
const CORRECTED = {
  email: "[es] Estimada Kai, escuela está cerrada mañana por nieve.",
  text: "[es] Hola Kai, escuela está cerrada mañana por nieve.",
};

function group(page: Page, name: string | RegExp): Locator {
  return page.getByRole("group", { name, exact: typeof name === "string" });
}

async function next(page: Page, to: string): Promise<void> {
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await page.locator(`ol.steps button[aria-current="step"]`, { hasText: to }).waitFor();
}

/** Runs a step and stops the test when it fails, so later steps do not fail for its reason. */
async function step(t: Deno.TestContext, name: string, fn: () => Promise<void>): Promise<void> {
  if (!(await t.step(name, fn))) throw new Error(`step failed: ${name}`);
}

/**
 * Selects `word` in a text box or the email editor, as a double-click would, and types `replacement` over it: one
 * word corrected by hand.
 */
async function correctWord(page: Page, box: Locator, word: string, replacement: string): Promise<void> {
  await box.click();
  await box.evaluate((el, word) => {
    const at = (text: string) => text.search(new RegExp(`(?<![\\p{L}])${word}(?![\\p{L}])`, "u"));
    if (el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement) {
      const i = at(el.value);
      if (i < 0) throw new Error(`"${word}" is not in ${JSON.stringify(el.value)}`);
      el.setSelectionRange(i, i + word.length);
      return;
    }
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const i = at(node.textContent ?? "");
      if (i < 0) continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + word.length);
      const selection = getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
      return;
    }
    throw new Error(`"${word}" is not in ${JSON.stringify(el.textContent)}`);
  }, word);
  await page.keyboard.type(replacement);
}

/** axe's violations on the page as it is now, one line per rule and element (as tests/e2e/pages_test.ts). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: (axe as unknown as { source: string }).source });
  const violations = await page.evaluate(async () => {
    type Violation = { id: string; help: string; nodes: { target: unknown[] }[] };
    const run = (globalThis as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe.run;
    return (await run()).violations;
  });
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.help}) at ${n.target.join(" ")}`));
}

/** The one email the sink holds for `to`, once it has come. */
async function mailTo(sink: Sink, to: string) {
  const mine = () => sink.messages.filter((m) => m.to && JSON.stringify(m.to).includes(`"${to}"`));
  await eventually(`an email to ${to}`, () => Promise.resolve(mine().length > 0));
  assert.equal(mine().length, 1, `exactly one email to ${to}`);
  return mine()[0];
}

/** A DeepL mock and an SMTP sink for the test's own process; both closed whatever happens. */
async function withMockAndSink(
  fn: (deepl: ReturnType<typeof startDeeplMock>, sink: Sink) => Promise<void>,
): Promise<void> {
  const deepl = startDeeplMock();
  const sink = await startSink();
  try {
    await fn(deepl, sink);
  } finally {
    await sink.close();
    await deepl.close();
  }
}

Deno.test("a Spanish-speaking guardian: translate to Spanish, correct one word, send; the Spanish arrives by email and text", async (t) => {
  await withMockAndSink((deepl, sink) =>
    withApp("languages", async ({ app, browser, page }) => {
      const admin = (await newPage(browser)).page;

      await step(t, "admin: Kai Clark's preferred language is Spanish, set on /admin/people", async () => {
        await signIn(admin, app.baseUrl, "admin");
        await admin.goto(`${app.baseUrl}/admin/people`);
        await admin.getByRole("searchbox", { name: "Name" }).fill(KAI.name);
        await admin.getByRole("button", { name: "Find", exact: true }).click();
        await admin.getByRole("listitem").filter({ hasText: "(guardian)" }).getByRole("link", { name: KAI.name })
          .click();
        await admin.getByRole("heading", { name: KAI.name, level: 1 }).waitFor();
        assert.equal(new URL(admin.url()).pathname, `/admin/people/${KAI.id}`);
        const language = admin.getByRole("textbox", { name: "Preferred language" });
        await language.fill("es");
        await admin.getByRole("button", { name: "Save preferences" }).click();
        await admin.waitForURL((url) => url.pathname === `/admin/people/${KAI.id}`);
        assert.equal(await language.inputValue(), "es", "saved");
      });

      await step(
        t,
        "staff: New Message to Kai alone, content with a merge field; Content lists Spanish, 1",
        async () => {
          await signIn(page, app.baseUrl, "comms");
          await page.getByRole("button", { name: "New Message" }).click();
          await page.getByRole("heading", { name: "New Message", level: 1 }).waitFor();
          const calendar = page.getByRole("combobox", { name: "Calendar", exact: true });
          await calendar.selectOption({
            label: (await calendar.locator("option", { hasText: "Lincoln" }).textContent())!,
          });
          for (const type of ["Students", "Guardians / contacts", "Staff", "Individual people"]) {
            await group(page, "Recipient types").getByRole("checkbox", { name: type, exact: true }).setChecked(
              type === "Individual people",
            );
          }
          const people = group(page, "Individual people");
          await people.getByRole("searchbox", { name: "Find by name" }).fill(KAI.name);
          await people.getByRole("button", { name: "Find", exact: true }).click();
          await people.getByRole("checkbox", { name: `${KAI.name} (guardian)`, exact: true }).check();
          const summary = page.locator("#recipient-preview section[aria-labelledby=recipients-h] > p");
          await expectText(summary, /^1 person, 1 copy$/, "the recipient preview");
          await next(page, "2 Content");

          const languages = page.getByRole("region", { name: "Languages" });
          await expectText(
            languages.locator("p").first(),
            /^Recipients' preferred languages: Spanish\u00a01\.$/,
            "the recipients' languages with their counts",
          );
          assert.equal(await languages.getByRole("checkbox", { name: "Spanish (1)", exact: true }).isChecked(), true);
          await page.getByRole("textbox", { name: "Subject", exact: true }).fill(SUBJECT);
          await page.getByRole("textbox", { name: "Email", exact: true }).fill(EMAIL);
          await page.getByRole("textbox", { name: "Text message", exact: true }).fill(TEXT);
        },
      );

      await step(t, "Translate into Spanish: DeepL's text in the Spanish boxes, the preview in Spanish", async () => {
        const spanish = page.getByRole("region", { name: /^Spanish / });
        await spanish.getByRole("button", { name: "Translate into Spanish", exact: true }).click();
        await expectText(
          page.getByRole("status").filter({ hasText: /^Translated into Spanish/ }),
          /^Translated into Spanish by DeepL/,
          "the notice after Translate",
        );
        // The page opens where the button was, at the Languages section, not at the top.
        const heading = page.getByRole("heading", { name: "Languages", level: 2 });
        await eventually("the Languages heading is in view after Translate", async () => {
          const box = await heading.boundingBox();
          return box !== null && box.y >= 0 && box.y < page.viewportSize()!.height;
        });
        await spanish.getByRole("button", { name: "Translate into Spanish again", exact: true }).waitFor();
        const text = spanish.getByRole("textbox", { name: "Spanish: Text message", exact: true });
        assert.equal(await text.inputValue(), MACHINE.text);
        assert.equal(
          await spanish.getByRole("textbox", { name: "Spanish: Subject", exact: true }).inputValue(),
          MACHINE.subject,
        );
        await expectText(
          spanish.getByRole("textbox", { name: "Spanish: Email", exact: true }),
          new RegExp(`^${MACHINE.email.replaceAll(/[[\]{}.]/g, "\\$&")}$`),
          "the Spanish email in the editor",
        );
        // The app's deepl-node asked the mock, with the key it was given.
        const asked = deepl.requests.filter((r) => r.status === 200);
        assert.ok(asked.length > 0, "DeepL was asked");
        assert.ok(asked.every((r) => r.targetLang?.toUpperCase().startsWith("ES")), "for Spanish");
        assert.ok(deepl.requests.every((r) => r.authorization === `DeepL-Auth-Key ${deepl.apiKey}`));

        const preview = page.getByRole("region", { name: "Preview for Kai Clark, in Spanish" });
        const textRow = preview.locator("dt", { hasText: /^Text$/ }).locator("xpath=following-sibling::dd[1]");
        await expectText(textRow, /^\[es\] Hola Kai, escuela está cerrada mañana for nieve\.$/, "merged for Kai");

        await spanish.scrollIntoViewIfNeeded();
        await screenshots(page, "languages-content");
        assert.deepEqual(await axeViolations(page), [], "the Content step with its Spanish section, by axe");
      });

      await step(t, "one word corrected in the Spanish email and text; Preview shows the correction", async () => {
        const spanish = page.getByRole("region", { name: /^Spanish / });
        await correctWord(page, spanish.getByRole("textbox", { name: "Spanish: Email", exact: true }), "for", "por");
        await correctWord(
          page,
          spanish.getByRole("textbox", { name: "Spanish: Text message", exact: true }),
          "for",
          "por",
        );
        await page.getByRole("button", { name: "Preview", exact: true }).click();
        const preview = page.getByRole("region", { name: "Preview for Kai Clark, in Spanish" });
        const row = (label: string) =>
          preview.locator("dt", { hasText: new RegExp(`^${label}$`) }).locator("xpath=following-sibling::dd[1]");
        await expectText(row("Text"), new RegExp(`^${CORRECTED.text.replaceAll(/[[\].]/g, "\\$&")}$`), "the text");
        await expectText(row("Email"), new RegExp(`^${CORRECTED.email.replaceAll(/[[\].]/g, "\\$&")}$`), "the email");
      });

      await step(t, "Send Options: Email + Text, now even in quiet hours; Send Now; the run is Sent", async () => {
        await next(page, "3 Send Options");
        await group(page, "Message type").getByRole("radio", { name: "General", exact: true }).check();
        for (const mode of ["Inbox", "Email", "Text", "Voice"]) {
          await group(page, "Delivery modes").getByRole("checkbox", { name: mode, exact: true }).setChecked(
            mode === "Email" || mode === "Text",
          );
        }
        await page.getByRole("radio", { name: "Send Now", exact: true }).check();
        // The text goes at once whatever the hour the test runs at.
        await page.getByRole("checkbox", { name: /even in quiet hours/ }).check();
        await page.getByRole("button", { name: "Send", exact: true }).click();
        await page.waitForURL((url) => url.pathname === "/messages");
        await expectText(page.getByRole("status"), /^The message is queued to send now\.$/, "the notice after Send");

        const sent = page.locator("li.entry").filter({ has: page.locator("h3.subject", { hasText: SUBJECT }) });
        await eventually(`"${SUBJECT}" should reach the Sent Message Log`, async () => {
          await page.goto(`${app.baseUrl}/sent`);
          return (await sent.count()) === 1;
        }, SEND_TIMEOUT_MS);
        await sent.getByRole("link", { name: `View Details: ${SUBJECT}` }).click();
        await page.getByRole("heading", { name: SUBJECT, level: 1 }).waitFor();
        await expectText(page.locator("#run-status .status"), /^Sent$/, "the run's status");
      });

      await step(
        t,
        "the Spanish, corrected and merged, in the SMTP sink's email and in the outbox's text",
        async () => {
          const mail = await mailTo(sink, KAI.email);
          assert.equal(mail.subject, MACHINE.subject);
          assert.ok(mail.text?.includes(CORRECTED.email), `the email's text: ${JSON.stringify(mail.text)}`);
          assert.ok(String(mail.html).includes(CORRECTED.email), `the email's HTML: ${JSON.stringify(mail.html)}`);

          // Only administrators read the outbox, where the demo's texts go.
          await admin.goto(`${app.baseUrl}/outbox`);
          const texts = admin.locator("table.outbox tbody tr").filter({ hasText: KAI.phone });
          assert.equal(await texts.count(), 1, "one text to Kai's phone");
          const body = (await texts.locator(".content").textContent())!.trim();
          assert.ok(body.includes(CORRECTED.text), `the text: ${JSON.stringify(body)}`);
        },
      );
    }, {
      // axe is injected as an inline script, which the app's CSP rightly refuses.
      context: { bypassCSP: true },
      env: {
        TRANSLATE_PROVIDER: "deepl",
        DEEPL_API_KEY: deepl.apiKey,
        DEEPL_SERVER_URL: deepl.url,
        SMTP_URL: sink.url,
        DISPATCH_SECONDS: "1",
      },
    })
  );
});
