/**
 * Roster import end to end: the administrator uploads a OneRoster export at
 * /admin/roster through the file input, reviews the preview (the page polls
 * itself with htmx), applies it, and the newly imported guardian is a
 * recipient in the New Message wizard (see support.ts).
 */
import assert from "node:assert/strict";
import { strToU8, zipSync } from "fflate";
import type { Locator, Page, Request } from "playwright-core";
import { DEMO_ROSTER, readDemoRoster } from "../../services/demo.ts";
import { eventually, expectText, screenshot, signIn, withApp } from "./support.ts";

/** A guardian of Maya Clark (stu1, Lincoln, K) who is not in the demo roster. */
const INES =
  "gdn-e2e,,,true,lincoln,guardian,ines@mail.example,,Ines,Quispe,,,ines@mail.example,(612) 555-0142,,stu1,,";
/** A row with a problem: the email is not an address. */
const BAD = "gdn-e2e-bad,,,true,lincoln,guardian,bad@mail.example,,Omar,Haddad,,,not-an-email,,,stu1,,";
const BAD_REASON = 'email "not-an-email" is not an email address';

async function texts(locator: Locator): Promise<string[]> {
  return (await locator.allTextContents()).map((t) => t.replaceAll(/\s+/g, " ").trim());
}

/** A pattern that matches exactly `text`. */
function exactly(text: string): RegExp {
  return new RegExp(`^${text.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

/** Chooses the files in the upload form and waits for the finished preview (the page polls until then). */
async function upload(page: Page, baseUrl: string, file: string): Promise<void> {
  await page.goto(`${baseUrl}/admin/roster`);
  await page.getByRole("heading", { name: "Roster import", level: 1, exact: true }).waitFor();
  await page.getByLabel(/^OneRoster 1\.1 export/).setInputFiles(file);
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await page.waitForURL((url) => /^\/admin\/roster\/[^/]+$/.test(url.pathname));
  await page.getByRole("heading", { name: "Roster import: Ready to apply", level: 1 }).waitFor();
}

/** The Add, Update and Remove counts of one row (Students, Guardians, Staff) of the preview. */
function counts(page: Page, kind: string): Promise<string[]> {
  return texts(page.locator("table.counts").getByRole("row", { name: kind }).getByRole("cell"));
}

async function expectCounts(page: Page, want: Record<string, [number, number, number]>): Promise<void> {
  for (const [kind, numbers] of Object.entries(want)) {
    assert.deepEqual(await counts(page, kind), numbers.map(String), `${kind}: add, update, remove`);
  }
}

/** The By and Status columns of Recent imports on /admin/roster, newest first. */
async function expectImports(page: Page, want: [string, string][]): Promise<void> {
  await page.getByRole("heading", { name: "Recent imports", level: 2 }).waitFor();
  const rows = page.getByRole("table").locator("tbody tr");
  const seen: string[][] = [];
  for (const row of await rows.all()) {
    const [, by, , status] = await texts(row.getByRole("cell"));
    seen.push([by, status]);
  }
  assert.deepEqual(seen, want, "Recent imports: by, status");
}

/** New Message with Lincoln's calendar and Guardians / contacts only; returns the guardian count of the preview. */
async function guardiansOfLincoln(page: Page): Promise<number> {
  await page.goto(`${new URL(page.url()).origin}/messages`);
  await page.getByRole("button", { name: "New Message" }).click();
  await page.locator(`ol.steps button[aria-current="step"]`, { hasText: "1 Recipients" }).waitFor();
  const calendar = page.getByRole("combobox", { name: "Calendar", exact: true });
  const lincoln = (await texts(calendar.locator("option"))).find((o) => o.endsWith("Lincoln Elementary"));
  assert.ok(lincoln, "the administrator may use Lincoln's calendar");
  await calendar.selectOption({ label: lincoln });
  const types = page.getByRole("group", { name: "Recipient types", exact: true });
  for (const type of ["Students", "Staff", "Individual people"]) {
    await types.getByRole("checkbox", { name: type, exact: true }).setChecked(false);
  }
  await types.getByRole("checkbox", { name: "Guardians / contacts", exact: true }).setChecked(true);
  // htmx posts the form on each change and swaps the preview in place; it marks the element while a post is out.
  const byType = page.locator("#recipient-preview").getByRole("table", { name: "By recipient type" });
  await eventually("the recipient preview should be up to date and count guardians only", async () => {
    if (await page.locator(".htmx-request").count() > 0) return false;
    const seen = await texts(byType.getByRole("rowheader"));
    return seen.length === 1 && seen[0] === "Guardians / contacts";
  });
  return Number(await byType.getByRole("row", { name: /^Guardians \/ contacts / }).getByRole("cell").textContent());
}

Deno.test("admin: upload the demo roster (no change), then one with a new guardian and a problem row; apply; she is a recipient", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "roster-e2e-" });
  try {
    const files: Record<string, string> = await readDemoRoster();
    assert.ok(files["users.csv"].endsWith("\n"));
    // Line 1 is the header: the appended rows are on the lines after the last one.
    const inesLine = files["users.csv"].split("\n").length;
    const badLine = inesLine + 1;
    const changed = { ...files, "users.csv": `${files["users.csv"]}${INES}\n${BAD}\n` };
    const zip = `${dir}/oneroster-e2e.zip`;
    await Deno.writeFile(
      zip,
      zipSync(Object.fromEntries(Object.entries(changed).map(([name, text]) => [name, strToU8(text)]))),
    );

    await withApp("roster", async ({ app, page }) => {
      await signIn(page, app.baseUrl, "admin");
      const before = await guardiansOfLincoln(page);
      assert.ok(before > 0, "Lincoln has guardians in the demo");

      await t.step("the unchanged demo zip: nothing will change, Apply is disabled; discard it", async () => {
        await upload(page, app.baseUrl, new URL("demo.zip", DEMO_ROSTER).pathname);
        // The zip's CSV files are listed, each with its size.
        await page.getByText(/^Uploaded .+ by Dana Whitfield: manifest\.csv \(\d+ bytes\), .*users\.csv \(\d+ KB\)/)
          .waitFor();
        await page.getByRole("heading", { name: "What will change", level: 2 }).waitFor();
        await expectCounts(page, { Students: [0, 0, 0], Guardians: [0, 0, 0], Staff: [0, 0, 0] });
        await page.getByText(/^736 people unchanged · files: /).waitFor();
        assert.equal(await page.getByRole("heading", { name: /^Problem rows/ }).count(), 0);
        const apply = page.getByRole("button", { name: /^Apply|^Nothing to change$/ });
        assert.deepEqual(await texts(apply), ["Nothing to change"]);
        assert.equal(await apply.isDisabled(), true);
        await screenshot(page, "roster-unchanged");

        await page.getByRole("button", { name: "Discard", exact: true }).click();
        await page.waitForURL((url) => url.pathname === "/admin/roster");
        // Recent imports, newest first: this one, discarded, then the demo's own.
        await expectImports(page, [["Dana Whitfield", "Discarded"], ["Demo set-up", "Applied"]]);
      });

      await t.step("a new guardian and a problem row: the preview names her and lists the row", async () => {
        await upload(page, app.baseUrl, zip);
        await expectCounts(page, { Students: [0, 0, 0], Guardians: [1, 0, 0], Staff: [0, 0, 0] });
        await page.getByText(/^736 people unchanged · 1 left as they are because of problem rows · files: /).waitFor();
        const added = page.locator("details", { has: page.getByText("Added (1)", { exact: true }) });
        await added.locator("summary").click();
        assert.deepEqual(await texts(added.getByRole("listitem")), ["Ines Quispe (guardian, gdn-e2e)"]);
        assert.equal(await page.locator("details", { hasText: /^(Updated|Removed):/ }).count(), 0);

        await page.getByRole("heading", { name: "Problem rows: 1", level: 2 }).waitFor();
        const problems = page.getByRole("table").filter({ has: page.getByRole("columnheader", { name: "Reason" }) });
        assert.deepEqual(await texts(problems.getByRole("columnheader")), ["File", "Line", "sourcedId", "Reason"]);
        assert.deepEqual(await texts(problems.locator("tbody tr").getByRole("cell")), [
          "users.csv",
          String(badLine),
          "gdn-e2e-bad",
          BAD_REASON,
        ]);
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.getByRole("link", { name: "Download all problem rows (CSV)" }).click(),
        ]);
        const csv = await Deno.readTextFile(await download.path());
        assert.deepEqual(csv.trim().split("\r\n"), [
          "file,line,sourcedId,reason",
          `users.csv,${badLine},gdn-e2e-bad,"${BAD_REASON.replaceAll('"', '""')}"`,
        ]);
        await screenshot(page, "roster-preview");
      });

      await t.step("Apply needs the skip box ticked; then it runs to Applied", async () => {
        const skip = page.getByRole("checkbox", {
          name: "Apply the good rows; leave the 1 person with problem rows as they are",
          exact: true,
        });
        assert.equal(await skip.isChecked(), false);
        assert.equal(await skip.evaluate((e) => (e as HTMLInputElement).required), true);
        const apply = page.getByRole("button", { name: "Apply: 1 change", exact: true });
        assert.equal(await apply.isEnabled(), true);
        // The browser refuses to submit while the box is not ticked: no request is made.
        const posted: string[] = [];
        const onRequest = (r: Request) => {
          if (r.method() === "POST") posted.push(new URL(r.url()).pathname);
        };
        page.on("request", onRequest);
        await apply.click();
        assert.equal(await skip.evaluate((e) => (e as HTMLInputElement).validity.valueMissing), true);
        await page.getByRole("heading", { name: "Roster import: Ready to apply", level: 1 }).waitFor();
        assert.deepEqual(posted, [], "nothing was posted while the box was not ticked");

        await skip.check();
        await apply.click();
        await page.getByRole("heading", { name: "Roster import: Applied", level: 1 }).waitFor();
        page.off("request", onRequest);
        assert.match(posted.join(" "), /^\/admin\/roster\/[^/]+\/apply$/);
        await expectText(
          page.getByRole("status"),
          /^Applied by Dana Whitfield, finished .+: 1 person written\.$/,
          "the applied notice",
        );
        await page.getByRole("heading", { name: "What changed", level: 2 }).waitFor();
        await expectCounts(page, { Students: [0, 0, 0], Guardians: [1, 0, 0], Staff: [0, 0, 0] });
        assert.equal(await page.getByRole("button", { name: /^Apply/ }).count(), 0);
        assert.equal(await page.getByRole("button", { name: "Discard" }).count(), 0);
        await screenshot(page, "roster-applied");
      });

      await t.step("New Message: one more guardian at Lincoln; Ines Quispe found by name and previewed", async () => {
        assert.equal(await guardiansOfLincoln(page), before + 1, "Lincoln's guardians, one more than before");
        const people = page.getByRole("group", { name: "Individual people", exact: true });
        await people.getByRole("searchbox", { name: "Find by name" }).fill("Quispe");
        await people.getByRole("button", { name: "Find", exact: true }).click();
        const ines = people.getByRole("checkbox", { name: "Ines Quispe (guardian)", exact: true });
        await ines.check();
        const types = page.getByRole("group", { name: "Recipient types", exact: true });
        await types.getByRole("checkbox", { name: "Guardians / contacts", exact: true }).setChecked(false);
        await types.getByRole("checkbox", { name: "Individual people", exact: true }).setChecked(true);
        const summary = page.locator("#recipient-preview section[aria-labelledby=recipients-h] > p");
        await expectText(summary, /^1 person, 1 copy$/, "the preview of Ines alone");
        const byMode = page.locator("#recipient-preview").getByRole("table", { name: "By delivery mode" });
        for (const mode of ["Email", "Text", "Voice"]) {
          assert.deepEqual(
            await texts(byMode.getByRole("row", { name: new RegExp(`^${mode} `) }).getByRole("cell")),
            ["1", "1", "0", "0"],
            `${mode}: Ines reached on her one device`,
          );
        }
        await screenshot(page, "roster-wizard-recipients");

        await page.getByRole("button", { name: "Next", exact: true }).click();
        await page.locator(`ol.steps button[aria-current="step"]`, { hasText: "2 Content" }).waitFor();
        await page.getByRole("textbox", { name: "Subject", exact: true }).fill("Welcome");
        await page.getByRole("textbox", { name: /^Text message/ }).fill(
          "Welcome, {{recipient.firstName}} {{recipient.lastName}}.",
        );
        await page.getByRole("button", { name: "Preview", exact: true }).click();
        const preview = page.getByRole("region", { name: "Preview for Ines Quispe" });
        const text = preview.locator("dt", { hasText: /^Text$/ }).locator("xpath=following-sibling::dd[1]");
        await expectText(text, exactly("Welcome, Ines Quispe."), "the text merged for Ines");
        await screenshot(page, "roster-wizard-preview");
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
