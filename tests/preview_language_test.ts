/**
 * Previews in the recipient's language (issue 17): the Content step's
 * preview, staff's family view (of a scheduled message and of a run) and
 * Send a test to me show the message as its first real recipient gets it,
 * in their language when the message has it, and say which.
 */
import assert from "node:assert/strict";
import { type Client, makeDue, settle, signedIn, type TestApp, testApp } from "./support/app.ts";
import { outboxProviders } from "../services/providers/outbox.ts";
import type { CallOut, Providers } from "../services/providers/types.ts";
import type { Person, Translation } from "../services/model.ts";
import { listOutbox } from "../services/store/outbox.ts";
import { getPerson, listPeopleInSchool, savePerson } from "../services/store/people.ts";
import { getUserByLogin, updateUser } from "../services/store/users.ts";

/** Lincoln guardians with an email and a mobile: Kai Clark, Grace Brown, Liam Baker. */
const KAI = "gdn1";
const GRACE = "gdn4";
const LIAM = "gdn7";

const words = (html: string) => html.replaceAll(/<[^>]+>/g, " ").replaceAll("&#39;", "'").replaceAll(/\s+/g, " ");

const content = {
  subject: "Early dismissal Friday",
  emailHtml: "<p>Dear {{recipient.firstName}}, school closes at noon on Friday.</p>",
  emailText: "",
  text: "{{recipient.firstName}}: school closes at noon on Friday.",
  voice: "Hello {{recipient.firstName}}, school closes at noon on Friday.",
  inbox: "School closes at noon on Friday.",
};

const SPANISH = {
  subject: "Salida temprano el viernes",
  emailHtml: "<p>Estimado/a {{recipient.firstName}}, la escuela cierra al mediodía el viernes.</p>",
  emailText: "",
  text: "{{recipient.firstName}}: la escuela cierra al mediodía el viernes.",
  voice: "Hola {{recipient.firstName}}, la escuela cierra al mediodía el viernes.",
  inbox: "La escuela cierra al mediodía el viernes.",
};

/** Somali, which Twilio cannot read aloud: its call goes in English. */
const SOMALI = {
  subject: "Fasax hore Jimcaha",
  emailHtml: "<p>{{recipient.firstName}}, dugsigu wuxuu xirmayaa duhurka Jimcaha.</p>",
  emailText: "",
  text: "{{recipient.firstName}}: dugsigu wuxuu xirmayaa duhurka Jimcaha.",
  voice: "{{recipient.firstName}}, dugsigu wuxuu xirmayaa duhurka Jimcaha.",
  inbox: "Dugsigu wuxuu xirmayaa duhurka Jimcaha.",
};

const typed = (tag: string, t: Record<string, string>) =>
  Object.fromEntries(Object.entries(t).map(([f, v]) => [`tr.${tag}.${f}`, v]));

async function setLanguages(t: TestApp, languages: Record<string, string | undefined>) {
  for (const [id, language] of Object.entries(languages)) {
    const current = (await getPerson(t.db, id))!;
    await savePerson(t.db, current, { ...current.value, language });
  }
}

function post(c: Client, draft: string, step: string, fields: Record<string, string | string[]>, go: string) {
  return c.post(`/compose/${draft}/${step}`, { ...fields, go });
}

/** A new draft to these Lincoln people, standing on Content. */
async function draftTo(c: Client, personIds: string[]): Promise<string> {
  const res = await c.post("/messages/new", {});
  const draft = res.headers.get("Location")!.split("/")[2];
  const recipients = { calendarId: "lincoln-2026", types: "individuals", personIds };
  assert.equal((await post(c, draft, "recipients", recipients, "content")).status, 303);
  return draft;
}

/** The Content step's preview section, as the Preview button shows it. */
async function preview(c: Client, draft: string, fields: Record<string, string | string[]>): Promise<string> {
  const res = await post(c, draft, "content", { ...content, ...fields }, "preview");
  assert.equal(res.status, 200);
  const html = await res.text();
  const section = /<section class="merge-preview"[^]*?<\/section>/.exec(html)?.[0];
  assert.ok(section, "the page has a preview");
  // As a browser reads it: no spaces left over inside tags.
  return section.replaceAll(/<(\w+)\s+/g, "<$1 ").replaceAll(/\s+>/g, ">");
}

/** The preview's row for `label` (Subject, Email, Text, Voice, Inbox): its dd, tags and all. */
function row(section: string, label: string): string {
  const m = new RegExp(`<dt>${label}</dt>(<dd[^]*?</dd>)`).exec(section);
  assert.ok(m, `a ${label} row in ${section}`);
  return m[1];
}

Deno.test("Content step preview: in the first recipient's language once the message has it, said in its heading", async () => {
  const t = await testApp();
  await setLanguages(t, { [KAI]: "es-MX", [LIAM]: "so" });
  const c = await signedIn(t, "office");

  const kai = await draftTo(c, [KAI, GRACE]);
  // Spanish ticked but not written yet: Kai would get English, and the preview says why.
  let section = await preview(c, kai, { languages: ["es"], languagesOffered: ["es"] });
  assert.match(
    section,
    /<h2 id="merge-preview-h">Preview for Kai Clark, in English: there is no Spanish version<\/h2>/,
  );
  assert.match(
    row(section, "Email"),
    /^<dd class="content" lang="en">Dear Kai, school closes at noon on Friday\.<\/dd>$/,
  );

  // Written: the preview is the Spanish, merge fields filled in for Kai.
  section = await preview(c, kai, { languages: ["es"], languagesOffered: ["es"], ...typed("es", SPANISH) });
  assert.match(section, /<h2 id="merge-preview-h">Preview for Kai Clark, in Spanish<\/h2>/);
  assert.match(row(section, "Subject"), /lang="es">Salida temprano el viernes</);
  assert.match(row(section, "Email"), /lang="es">Estimado\/a Kai, la escuela cierra al mediodía el viernes\.</);
  assert.match(row(section, "Text"), /lang="es">Kai: la escuela cierra al mediodía el viernes\.</);
  assert.match(row(section, "Voice"), /lang="es">Hola Kai, la escuela/);
  assert.match(row(section, "Inbox"), /lang="es">La escuela cierra al mediodía el viernes\.</);

  // Unticked, the Spanish is not sent: the preview is English again.
  section = await preview(c, kai, { languages: [], languagesOffered: ["es"], ...typed("es", SPANISH) });
  assert.match(section, /Preview for Kai Clark, in English: there is no Spanish version</);
  assert.match(row(section, "Subject"), /lang="en">Early dismissal Friday</);

  // An English reader first: the English, and since the message has Spanish, it says English.
  const grace = await draftTo(c, [GRACE, KAI]);
  section = await preview(c, grace, { languages: ["es"], languagesOffered: ["es"], ...typed("es", SPANISH) });
  assert.match(section, /Preview for Grace Brown, in English</);
  assert.match(row(section, "Email"), /lang="en">Dear Grace, school closes/);

  // Somali: every mode in Somali but the call, which Twilio cannot read in Somali, as dispatch would send it.
  const liam = await draftTo(c, [LIAM]);
  section = await preview(c, liam, { languages: ["so"], languagesOffered: ["so"], ...typed("so", SOMALI) });
  assert.match(section, /Preview for Liam Baker, in Somali</);
  assert.match(row(section, "Text"), /lang="so">Liam: dugsigu wuxuu xirmayaa/);
  assert.match(
    row(section, "Voice"),
    /<p class="hint">Read in English: Twilio has no Somali voice\.<\/p><div class="content" lang="en">Hello Liam, school/,
  );
  t.close();
});

Deno.test("Content step preview: a district reading one language says no language at all", async () => {
  const t = await testApp();
  const c = await signedIn(t, "office");
  const draft = await draftTo(c, [GRACE]);
  const section = await preview(c, draft, {});
  assert.match(section, /<h2 id="merge-preview-h">Preview for Grace Brown<\/h2>/);
  t.close();
});

Deno.test("family view of a scheduled message: its first recipient's inbox in their language, said; else the default, said why", async () => {
  const t = await testApp();
  await setLanguages(t, { [KAI]: "es-MX", [LIAM]: "so" });
  const spanish: Translation = { ...SPANISH, sourceHash: "test", machine: true };
  const change = (personIds: string[]) => ({
    modes: ["inbox" as const, "email" as const],
    subject: content.subject,
    content: { ...content, emailText: "" },
    recipients: { types: ["individuals" as const], grades: [], personIds, oneCopyPerGuardian: true },
    languages: ["es"],
    translations: { es: spanish },
  });
  const office = await signedIn(t, "office");
  const view = async () => {
    const res = await office.get("/messages/msg-early-release/family-view");
    assert.equal(res.status, 200);
    return words(await res.text());
  };

  await makeDue(t.db, "msg-early-release", change([KAI, GRACE]), Date.UTC(2030, 0, 1));
  let html = await view();
  assert.match(html, /Preview: this is how Kai Clark sees the message in the family portal, in Spanish\./);
  assert.match(html, /Salida temprano el viernes/);
  assert.match(html, /La escuela cierra al mediodía el viernes\./);
  assert.doesNotMatch(html, /School closes at noon/);

  // Liam reads Somali, which the message does not have.
  await makeDue(t.db, "msg-early-release", change([LIAM, KAI]), Date.UTC(2030, 0, 1));
  html = await view();
  assert.match(
    html,
    /this is how Liam Baker sees the message in the family portal, in English: there is no Somali version\./,
  );
  assert.match(html, /Early dismissal Friday/);
  assert.match(html, /School closes at noon on Friday\./);
  assert.doesNotMatch(html, /La escuela/);
  t.close();
});

Deno.test("family view of a run: the inbox copy as delivered, and the language its delivery records", async () => {
  const t = await testApp();
  await setLanguages(t, { [KAI]: "es-MX" });
  await makeDue(t.db, "msg-early-release", {
    type: "emergency",
    modes: ["inbox"],
    subject: content.subject,
    content: { ...content, emailText: "" },
    attachments: [],
    recipients: { types: ["individuals"], grades: [], personIds: [KAI], oneCopyPerGuardian: true },
    languages: ["es"],
    translations: { es: { ...SPANISH, sourceHash: "test", machine: false } },
  });
  const run = (await t.dispatcher.startOccurrence("msg-early-release", t.clock.now()))!;
  await settle(t);
  const office = await signedIn(t, "office");
  const res = await office.get(`/runs/${run.id}/family-view`);
  assert.equal(res.status, 200);
  const html = words(await res.text());
  assert.match(html, /Preview: this is how Kai Clark sees the message in the family portal, in Spanish\./);
  assert.match(html, /La escuela cierra al mediodía el viernes\./);
  t.close();
});

/** Links `login` to a Lincoln staff member with an email and a phone, as /admin/users does. */
async function linkToStaff(t: TestApp, login: string): Promise<Person> {
  const staff = (await listPeopleInSchool(t.db, "lincoln", "staff"))
    .find((p) => p.devices.some((d) => d.kind === "email") && p.devices.some((d) => d.kind === "phone"))!;
  const user = (await getUserByLogin(t.db, login))!;
  await updateUser(t.db, user, { ...user.value, personId: staff.id });
  return staff;
}

Deno.test("Send a test to me: filled in as the first recipient gets it, in their language, said; a mode Twilio cannot read falls back, said", async () => {
  const calls: CallOut[] = [];
  const t = await testApp({
    providers: (db, clock): Providers => {
      const outbox = outboxProviders(db, clock);
      return { ...outbox, call: (c) => (calls.push(c), outbox.call(c)) };
    },
  });
  await setLanguages(t, { [KAI]: "es-MX", [LIAM]: "so" });
  await linkToStaff(t, "office");
  const c = await signedIn(t, "office");
  const modes = { type: "general", modes: ["email", "text", "voice"], when: "now" };

  const kai = await draftTo(c, [KAI, GRACE]);
  assert.equal((await post(c, kai, "send", modes, "content")).status, 303);
  const fields = { ...content, languages: ["es"], languagesOffered: ["es"], ...typed("es", SPANISH) };
  let res = await post(c, kai, "content", fields, "test");
  assert.equal(res.status, 200);
  assert.match(words(await res.text()), /Test sent at \d+:\d+ [AP]M\. Filled in for Kai Clark, in Spanish\./);
  let sent = (await listOutbox(t.db)).items;
  const mail = sent.find((e) => e.kind === "email")!;
  assert.equal(mail.subject, "[Test] Salida temprano el viernes");
  assert.match(mail.body, /^\[Test\] Filled in as Kai Clark would get it, in Spanish\. Only you received this copy\./);
  assert.match(mail.body, /Estimado\/a Kai, la escuela cierra al mediodía el viernes\./);
  assert.equal(sent.find((e) => e.kind === "text")!.body, "[Test] Kai: la escuela cierra al mediodía el viernes.");
  assert.equal(calls.at(-1)!.say, "[Test] Hola Kai, la escuela cierra al mediodía el viernes.");
  assert.equal(calls.at(-1)!.language, "es", "read by the Spanish voice");

  // Liam's Somali: the call is read in English, as dispatch would, and the result says so.
  const liam = await draftTo(c, [LIAM]);
  assert.equal((await post(c, liam, "send", modes, "content")).status, 303);
  const somali = { ...content, languages: ["so"], languagesOffered: ["so"], ...typed("so", SOMALI) };
  res = await post(c, liam, "content", somali, "test");
  assert.equal(res.status, 200);
  const html = words(await res.text());
  assert.match(html, /Filled in for Liam Baker, in Somali\./);
  assert.match(html, /Voice to \+1\d{10}: sent \(read in English: Twilio has no Somali voice\)/);
  sent = (await listOutbox(t.db)).items;
  assert.ok(sent.some((e) => e.kind === "text" && e.body === "[Test] Liam: dugsigu wuxuu xirmayaa duhurka Jimcaha."));
  assert.equal(calls.at(-1)!.say, "[Test] Hello Liam, school closes at noon on Friday.");
  assert.equal(calls.at(-1)!.language, "en");
  t.close();
});
