/**
 * The family's side end to end: staff send a message with a PDF to one Lincoln guardian (Inbox + Email) through the
 * wizard; the guardian signs in at /family/signin with the emailed one-time link (read from a real SMTP sink), or a
 * texted code (read from the outbox), reads the message, downloads the PDF; staff then see the read on the Recipient
 * Report and View Details. Once with JavaScript, once without it on the family's side.
 */
import assert from "node:assert/strict";
import type { Browser, Locator, Page } from "playwright-core";
import { eventually, expectText, newPage, screenshots, signIn, withApp } from "./support.ts";
import { type Sink, startSink } from "../support/smtp_sink.ts";

/** Long enough for Processing, Sending and the finish job, with DISPATCH_SECONDS=1. */
const SEND_TIMEOUT_MS = 60_000;

interface Guardian {
  /** How "Find by name" finds them, and how the family pages name them. */
  name: string;
  email: string;
}

/** Demo roster guardians of Lincoln students (scripts/demo-roster/users.csv): gdn3 and gdn1. */
const MIA: Guardian = { name: "Mia Clark", email: "mia.clark3@mail.example" };
const KAI: Guardian & { phone: string; typed: string } = {
  name: "Kai Clark",
  email: "kai.clark1@mail.example",
  phone: "+16125553170",
  typed: "(612) 555-3170",
};

const FILE = "lunch-menu.pdf";
/** A one-page PDF with the binary comment line real PDFs carry: its bytes above 0x7F catch a file mangled as text. */
const PDF = new Uint8Array([
  ...new TextEncoder().encode("%PDF-1.4\n%"),
  0xe2,
  0xe3,
  0xcf,
  0xd3,
  0x0a,
  ...new TextEncoder().encode(
    "1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
      "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
  ),
]);

interface Sent {
  subject: string;
  /** The inbox text as typed, with a merge field. */
  inbox: string;
  /** The inbox text as the family reads it. */
  read: string;
  type: "General" | "Priority";
}

function group(page: Page, name: string | RegExp): Locator {
  return page.getByRole("group", { name, exact: typeof name === "string" });
}

async function next(page: Page, to: string): Promise<void> {
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await page.locator(`ol.steps button[aria-current="step"]`, { hasText: to }).waitFor();
}

/**
 * New Message → Lincoln, Individual people only, `who` found by name and ticked → subject, email, inbox text, the
 * PDF → `type`, Inbox + Email, Send Now → Send.
 */
async function sendToGuardian(page: Page, who: Guardian, message: Sent, pdf: string): Promise<void> {
  await page.getByRole("button", { name: "New Message" }).click();
  await page.getByRole("heading", { name: "New Message", level: 1 }).waitFor();
  const calendar = page.getByRole("combobox", { name: "Calendar", exact: true });
  await calendar.selectOption({ label: (await calendar.locator("option", { hasText: "Lincoln" }).textContent())! });
  for (const type of ["Students", "Guardians / contacts", "Staff", "Individual people"]) {
    await group(page, "Recipient types").getByRole("checkbox", { name: type, exact: true }).setChecked(
      type === "Individual people",
    );
  }
  const people = group(page, "Individual people");
  await people.getByRole("searchbox", { name: "Find by name" }).fill(who.name);
  await people.getByRole("button", { name: "Find", exact: true }).click();
  await people.getByRole("checkbox", { name: `${who.name} (guardian)`, exact: true }).check();
  const summary = page.locator("#recipient-preview section[aria-labelledby=recipients-h] > p");
  // htmx posts the form on each change: the preview ends up at exactly the one person ticked.
  await expectText(summary, /^1 person, 1 copy$/, "the recipient preview");
  await next(page, "2 Content");

  await page.getByRole("textbox", { name: "Subject", exact: true }).fill(message.subject);
  await page.getByRole("textbox", { name: "Email", exact: true }).fill(`Dear family, ${message.subject}.`);
  await page.getByRole("textbox", { name: "Inbox message", exact: true }).fill(message.inbox);
  await group(page, "Attachments (email and inbox)").locator('input[type="file"]').setInputFiles(pdf);
  await next(page, "3 Send Options");

  await group(page, "Message type").getByRole("radio", { name: message.type, exact: true }).check();
  for (const mode of ["Inbox", "Email", "Text", "Voice"]) {
    await group(page, "Delivery modes").getByRole("checkbox", { name: mode, exact: true }).setChecked(
      mode === "Inbox" || mode === "Email",
    );
  }
  await page.getByRole("radio", { name: "Send Now", exact: true }).check();
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/messages");
  await expectText(page.getByRole("status"), /^The message is queued to send now\.$/, "the notice after Send");
}

function runStatus(page: Page): Locator {
  return page.locator("#run-status .status");
}

/** Waits until the run is on the Sent Message Log, then opens its View Details: the run's path. */
async function openSentRun(page: Page, baseUrl: string, subject: string): Promise<string> {
  const sent = page.locator("li.entry").filter({ has: page.locator("h3.subject", { hasText: subject }) });
  await eventually(`"${subject}" should reach the Sent Message Log`, async () => {
    await page.goto(`${baseUrl}/sent`);
    return (await sent.count()) === 1;
  }, SEND_TIMEOUT_MS);
  await sent.getByRole("link", { name: `View Details: ${subject}` }).click();
  await page.getByRole("heading", { name: subject, level: 1 }).waitFor();
  await expectText(runStatus(page), /^Sent$/, "the run's status");
  return new URL(page.url()).pathname;
}

/** The line beside the counts table: "Inbox: N delivered, M read". */
function inboxLine(page: Page): Locator {
  return page.locator("#run-progress p", { hasText: /^Inbox: / });
}

/** The one email the sink holds for `to` with a subject matching `subject`, once it has come. */
async function mailTo(sink: Sink, to: string, subject: RegExp) {
  const mine = () =>
    sink.messages.filter((m) =>
      m.subject && subject.test(m.subject) && m.to && JSON.stringify(m.to).includes(`"${to}"`)
    );
  await eventually(`an email to ${to} with a subject like ${subject}`, () => Promise.resolve(mine().length > 0));
  assert.equal(mine().length, 1, `exactly one such email to ${to}`);
  return mine()[0];
}

/**
 * /family/signin → the address → Send; the link from the email in the sink → its page → Sign in → Messages.
 * With `shots`, screenshots of the form and of the link's page.
 */
async function signInByLink(page: Page, baseUrl: string, sink: Sink, who: Guardian, shots = false): Promise<string> {
  await page.goto(`${baseUrl}/family/signin`);
  await page.getByRole("heading", { name: "Sign in to read your messages", level: 1 }).waitFor();
  if (shots) await screenshots(page, "family-signin");
  await page.getByRole("textbox", { name: "Email address or mobile number" }).fill(who.email);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.getByRole("heading", { name: "Check your email", level: 1 }).waitFor();

  const mail = await mailTo(sink, who.email, /^Sign in to read messages from /);
  const link = mail.text?.match(/https?:\/\/\S+\/family\/signin\/[A-Za-z0-9_-]{43}/)?.[0];
  assert.ok(link, `a sign-in link in the email: ${JSON.stringify(mail.text)}`);
  assert.equal(new URL(link).origin, baseUrl, "the link points at the app it came from");
  await page.goto(link);
  await page.getByRole("heading", { name: "Sign in to read your messages", level: 1 }).waitFor();
  if (shots) await screenshots(page, "family-link");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/family/messages");
  await page.getByRole("heading", { name: `Messages for ${who.name}`, level: 1 }).waitFor();
  return link;
}

function rows(page: Page): Locator {
  return page.locator("main li.entry");
}

/** The list holds exactly this one message, marked Unread (bold) or not, with its school and type. */
async function expectListed(page: Page, message: Sent, unread: boolean): Promise<void> {
  await expectText(page.getByRole("status"), unread ? /^1 unread message$/ : /^0 unread messages$/, "the unread count");
  assert.equal(await rows(page).count(), 1, "the guardian's inbox holds exactly the message sent");
  const row = rows(page).first();
  await row.getByRole("link", { name: message.subject, exact: true }).waitFor();
  const marks = (await row.locator(".marks > span").allTextContents()).map((t) => t.trim());
  const type = message.type === "General" ? [] : [message.type];
  assert.deepEqual(marks, [...(unread ? ["Unread"] : []), ...type, "Lincoln Elementary"]);
  assert.equal(await row.locator("a strong").count(), unread ? 1 : 0, "an unread subject is bold, a read one not");
}

/**
 * Opens the message from the list and checks what it shows, screenshot as `shot`; then the attachment, downloaded,
 * is the PDF.
 */
async function readMessage(page: Page, message: Sent, shot?: string): Promise<void> {
  await rows(page).getByRole("link", { name: message.subject, exact: true }).click();
  await page.getByRole("heading", { name: message.subject, level: 1 }).waitFor();
  assert.match(new URL(page.url()).pathname, /^\/family\/messages\/[0-9A-Z]{12}\/[^/]+$/);
  const facts = Object.fromEntries(
    await Promise.all(
      (await page.locator("dl.facts dt").all()).map(async (dt) => [
        (await dt.textContent())!.trim(),
        (await dt.locator("xpath=following-sibling::dd[1]").textContent())!.trim(),
      ]),
    ),
  );
  assert.equal(facts.School, "Lincoln Elementary");
  assert.equal(facts.From, "Marcus Lee");
  assert.match(facts.Sent, /^\w{3}, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M C[SD]T$/);
  assert.equal(await page.locator(".family-body").innerText(), message.read, "the body, merged, lines and all");
  if (message.type !== "General") await expectText(page.locator("p.marks"), new RegExp(`^${message.type}$`), "type");
  if (shot) await screenshots(page, shot);

  const attachment = page.getByRole("link", { name: FILE, exact: true });
  const [download] = await Promise.all([page.waitForEvent("download"), attachment.click()]);
  assert.equal(download.suggestedFilename(), FILE);
  assert.deepEqual(await Deno.readFile((await download.path())!), PDF, "the download is the PDF, byte for byte");
  await page.getByRole("link", { name: "Back to Messages" }).click();
  await page.waitForURL((url) => url.pathname === "/family/messages");
}

/** Staff: the inbox row for `who` on the run's Recipient Report says Read with a time; View Details counts 1 read. */
async function expectReadByStaff(page: Page, baseUrl: string, runPath: string, who: Guardian): Promise<void> {
  await page.goto(`${baseUrl}${runPath}/recipients?mode=inbox`);
  const report = page.locator("table.report-table tbody tr");
  assert.equal(await report.count(), 1, "one inbox delivery");
  assert.equal((await report.locator("th").textContent())?.trim(), who.name);
  await expectText(
    report.locator("td .clip.wide"),
    /^delivered · Read \w{3}, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M C[SD]T$/,
    "the inbox row's state",
  );
  await page.getByRole("link", { name: "← View Details" }).click();
  await page.waitForURL((url) => url.pathname === runPath);
  await expectText(
    inboxLine(page),
    /^Inbox: 1 delivered, 1 read · See it as a family sees it$/,
    "the inbox counts on View Details",
  );
}

/** Writes the PDF where the wizard's file input can take it from. */
async function withPdf(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "family-e2e-" });
  try {
    await Deno.writeFile(`${dir}/${FILE}`, PDF);
    await fn(`${dir}/${FILE}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A real SMTP server for the app's email (the message and the sign-in links); texts stay in the outbox. */
async function withSink(fn: (sink: Sink) => Promise<void>): Promise<void> {
  const sink = await startSink();
  try {
    await fn(sink);
  } finally {
    await sink.close();
  }
}

/** Runs a step and stops the test when it fails, so later steps do not fail for its reason. */
async function step(t: Deno.TestContext, name: string, fn: () => Promise<void>): Promise<void> {
  if (!(await t.step(name, fn))) throw new Error(`step failed: ${name}`);
}

/** A browser context of its own: the family's cookies are never the staff's. */
async function familyPage(browser: Browser, javaScriptEnabled: boolean): Promise<Page> {
  return (await newPage(browser, { javaScriptEnabled })).page;
}

Deno.test("a guardian signs in by an emailed link, reads a message with its PDF; staff see it Read", async (t) => {
  const message: Sent = {
    subject: "Lunch menu for next week",
    inbox: "Hi {{recipient.firstName}},\nthe menu is attached.\nPizza & <salad> on Friday.",
    read: "Hi Mia,\nthe menu is attached.\nPizza & <salad> on Friday.",
    type: "General",
  };
  await withPdf((pdf) =>
    withSink((sink) =>
      withApp("family-link", async ({ app, browser, page }) => {
        let runPath = "";
        const family = await familyPage(browser, true);

        await step(t, "staff: Send Now to one guardian, Inbox + Email with a PDF, until Sent", async () => {
          await signIn(page, app.baseUrl, "office");
          await sendToGuardian(page, MIA, message, pdf);
          runPath = await openSentRun(page, app.baseUrl, message.subject);
          await expectText(
            inboxLine(page),
            /^Inbox: 1 delivered, 0 read · See it as a family sees it$/,
            "nobody has read it yet",
          );
          // The same message by email, with the same bytes attached.
          const mail = await mailTo(sink, MIA.email, new RegExp(`^${message.subject}$`));
          assert.deepEqual(mail.attachments.map((a) => a.filename), [FILE]);
          assert.deepEqual(new Uint8Array(mail.attachments[0].content), PDF);
        });

        await step(t, "family: sign in by the emailed link, behind its button", async () => {
          const link = await signInByLink(family, app.baseUrl, sink, MIA, true);
          // Used once: the link now gets the plain refusal, in another browser as in this one.
          const other = await familyPage(browser, true);
          const res = await other.goto(link);
          assert.equal(res?.status(), 404);
          await other.getByRole("heading", { name: "This sign-in link or code does not work", level: 1 }).waitFor();
        });

        await step(t, "family: the message is listed Unread, opens with its facts, the PDF downloads", async () => {
          await expectListed(family, message, true);
          await screenshots(family, "family-messages");
          await readMessage(family, message, "family-message");
          await expectListed(family, message, false);
        });

        await step(t, "staff: the Recipient Report says Read, View Details counts it", async () => {
          await expectReadByStaff(page, app.baseUrl, runPath, MIA);
        });
      }, { env: { DISPATCH_SECONDS: "1", SMTP_URL: sink.url } })
    )
  );
});

Deno.test("without JavaScript, a guardian signs in by link or by texted code and reads a Priority message", async (t) => {
  const message: Sent = {
    subject: "Picture day moved to Thursday",
    inbox: "Dear {{recipient.firstName}},\npicture day is now on Thursday.",
    read: "Dear Kai,\npicture day is now on Thursday.",
    type: "Priority",
  };
  await withPdf((pdf) =>
    withSink((sink) =>
      withApp("family-no-js", async ({ app, browser, page }) => {
        let runPath = "";
        const family = await familyPage(browser, false);

        await step(t, "staff (JavaScript on): Send Now to one guardian until Sent", async () => {
          await signIn(page, app.baseUrl, "office");
          await sendToGuardian(page, KAI, message, pdf);
          runPath = await openSentRun(page, app.baseUrl, message.subject);
        });

        await step(t, "family: link, list, open, download, all as plain pages", async () => {
          await signInByLink(family, app.baseUrl, sink, KAI);
          await expectListed(family, message, true);
          await readMessage(family, message, "family-no-js-message");
          await expectListed(family, message, false);
        });

        await step(t, "staff: the Recipient Report says Read, View Details counts it", async () => {
          await expectReadByStaff(page, app.baseUrl, runPath, KAI);
        });

        await step(
          t,
          "family on another browser: the number as people write it → a texted code → signed in",
          async () => {
            const phone = await familyPage(browser, false);
            await phone.goto(`${app.baseUrl}/family/signin`);
            await phone.getByRole("textbox", { name: "Email address or mobile number" }).fill(KAI.typed);
            await phone.getByRole("button", { name: "Send", exact: true }).click();
            await phone.getByRole("heading", { name: "Enter your code", level: 1 }).waitFor();

            // Only administrators read the outbox, where the demo's texts go.
            const admin = (await newPage(browser)).page;
            await signIn(admin, app.baseUrl, "admin");
            await admin.goto(`${app.baseUrl}/outbox`);
            const texts = admin.locator("table.outbox tbody tr").filter({ hasText: KAI.phone });
            assert.equal(await texts.count(), 1, "one text to the number");
            const body = (await texts.locator(".content").textContent())!.trim();
            const code = body.match(/^(\d{6}) is your code to read messages from /)?.[1];
            assert.ok(code, `a 6-digit code in the text: ${JSON.stringify(body)}`);

            await phone.getByRole("textbox", { name: "Code" }).fill(code);
            await phone.getByRole("button", { name: "Sign in", exact: true }).click();
            await phone.waitForURL((url) => url.pathname === "/family/messages");
            await phone.getByRole("heading", { name: `Messages for ${KAI.name}`, level: 1 }).waitFor();
            await expectListed(phone, message, false);
          },
        );
      }, { env: { DISPATCH_SECONDS: "1", SMTP_URL: sink.url } })
    )
  );
});
