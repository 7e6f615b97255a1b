/**
 * The languages of a message in the wizard (issue 17): the recipients'
 * languages on the Content step, choosing them, Translate through a fake
 * provider, what a translation may not lose, the provider's failures, bad
 * input, Send storing the translations, View Details and Edit Message.
 */
import assert from "node:assert/strict";
import { type Client, signedIn, type TestApp, testApp } from "./support/app.ts";
import { FakeTranslator, TranslateError } from "./support/fake_translator.ts";
import { resolveRecipients } from "../services/recipients.ts";
import { getCalendar } from "../services/store/district.ts";
import { getMessage, listAudit } from "../services/store/messages.ts";
import { getPerson, savePerson } from "../services/store/people.ts";
import { getDraft } from "../services/store/drafts.ts";
import { getUserByLogin } from "../services/store/users.ts";
import { sourceHash } from "../services/translate/source_hash.ts";
import type { Translator } from "../services/translate/translator.ts";

const recipients = { calendarId: "lincoln-2026", types: "guardians", grades: "3", oneCopyPerGuardian: "on" };
const content = {
  subject: "Science fair",
  emailHtml:
    '<p>Dear {{recipient.firstName}}, the fair is Friday. See <a href="https://lincoln.example.org/fair">the fair</a>.</p>',
  emailText: "",
  text: "Science fair Friday for {{student.firstName}}",
  voice: "",
  inbox: "",
};
const sendOptions = { type: "general", modes: ["email", "text"], when: "later", date: "2026-12-01", time: "07:00" };
const spanish = {
  "tr.es.subject": "Feria de ciencias",
  "tr.es.emailHtml":
    '<p>Estimado {{recipient.firstName}}, la feria es el viernes. Vea <a href="https://lincoln.example.org/fair">la feria</a>.</p>',
  "tr.es.text": "Feria de ciencias el viernes para {{student.firstName}}",
};

interface Setup {
  t: TestApp;
  c: Client;
  draft: string;
  /** Distinct people the selection reaches. */
  total: number;
}

/**
 * Lincoln's grade 3 guardians, five of them with a preferred language:
 * Spanish three times (one as es-MX), Somali, Vietnamese. A draft at the
 * Content step.
 */
async function setup(translator?: Translator): Promise<Setup> {
  const t = await testApp({ translator });
  const calendar = (await getCalendar(t.db, "lincoln-2026"))!;
  const selection = { types: ["guardians" as const], grades: ["3"], personIds: [], oneCopyPerGuardian: true };
  const people = [
    ...new Set((await resolveRecipients(t.db, { recipients: selection }, calendar)).recipients
      .map((r) => r.person.id)),
  ];
  for (const [i, language] of ["es-MX", "es", "es", "so", "vi"].entries()) {
    const p = (await getPerson(t.db, people[i]))!;
    await savePerson(t.db, p, { ...p.value, language });
  }
  const c = await signedIn(t, "office");
  const res = await c.post("/messages/new", {});
  const draft = res.headers.get("Location")!.split("/")[2];
  assert.equal((await post(c, draft, "recipients", recipients, "content")).status, 303);
  return { t, c, draft, total: people.length };
}

function post(c: Client, draft: string, step: string, fields: Record<string, string | string[]>, go: string) {
  return c.post(`/compose/${draft}/${step}`, { ...fields, go });
}

/** The Content step's form as a browser posts it: the boxes as listed, ticked ones as given. */
const languages = (...ticked: string[]) => ({ languages: ticked, languagesOffered: ["es", "so", "vi"] });

async function draftOf(s: Setup) {
  const user = (await getUserByLogin(s.t.db, "office"))!;
  return (await getDraft(s.t.db, user.value, s.draft))!;
}

/** The text box `name` as the page shows it (unescaped enough for these tests). */
function box(html: string, name: string): string | undefined {
  const m = new RegExp(`<textarea[^>]* name="${name.replaceAll(".", "\\.")}"[^>]*>([^<]*)</textarea>`).exec(html);
  return m?.[1].replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'");
}

/** The id of the message the last Send made: the only one created by the office whose subject is `subject`. */
async function sentMessage(s: Setup, subject: string) {
  for await (const e of s.t.db.kv.list<{ subject: string; id: string }>({ prefix: ["demo", "message"] })) {
    if (e.value.subject === subject) return (await getMessage(s.t.db, e.value.id))!.value;
  }
  throw new Error(`no message "${subject}"`);
}

Deno.test("languages: the Content step counts the recipients' languages and ticks each; without a provider it says so", async () => {
  const s = await setup();
  const page = await (await s.c.get(`/compose/${s.draft}/content`)).text();
  assert.match(
    page,
    new RegExp(
      `Recipients' preferred languages: Spanish\u00a03\u00a0· Somali\u00a01\u00a0· Vietnamese\u00a01\u00a0· English\u00a0${
        s.total - 5
      } `,
    ),
    "es-MX counts as Spanish; no preference counts as English",
  );
  for (const tag of ["es", "so", "vi"]) {
    assert.match(page, new RegExp(`<input type="checkbox" name="languages" value="${tag}" checked/>`), tag);
  }
  assert.match(page, /gets the English message/);
  assert.match(
    page,
    /No machine translation is set up: type the translations, or the language falls back to English\./,
  );
  assert.doesNotMatch(page, /value="translate/, "no Translate button without a provider");
  assert.match(page, /<label for="tr\.es\.subject"[^>]*><span class="visually-hidden">Spanish: <\/span>Subject/);
  assert.doesNotMatch(page, /name="tr\.es\.text"/, "no box for a mode the original does not have yet");
  s.t.close();
});

Deno.test("languages: typed translations are sent for the ticked languages only; View Details and Edit Message show them", async () => {
  const s = await setup();
  // Somali stays ticked but empty (it falls back); Vietnamese is unticked though typed.
  const typed = { ...content, ...languages("es", "so"), ...spanish, "tr.vi.subject": "Hội chợ" };
  assert.equal((await post(s.c, s.draft, "content", typed, "send")).status, 303);
  const unticked = await (await s.c.get(`/compose/${s.draft}/content`)).text();
  assert.match(unticked, /value="vi"\/>Vietnamese \(1\)/, "listed");
  assert.doesNotMatch(unticked, /value="vi" checked/, "and stays unticked");
  assert.equal((await post(s.c, s.draft, "send", sendOptions, "commit")).status, 303);
  const m = await sentMessage(s, "Science fair");
  assert.deepEqual(m.languages, ["es"]);
  const es = m.translations!.es;
  assert.equal(es.text, spanish["tr.es.text"]);
  assert.match(es.emailText, /^Estimado \{\{recipient\.firstName\}\}, la feria/, "plain part made from the email");
  assert.equal(es.machine, false);
  assert.equal(es.sourceHash, sourceHash({ subject: m.subject, ...m.content }), "made from the content as sent");

  const details = await (await s.c.get(`/messages/${m.id}`)).text();
  assert.match(details, new RegExp(`In English, for ${s.total - 3} recipients`));
  assert.match(details, /<h2 id="content-es-h">Content in Spanish<\/h2><p>For 3 recipients\. Written by staff\./);
  assert.match(details, /Feria de ciencias el viernes para \{\{student\.firstName\}\}/);
  assert.doesNotMatch(details, /May be out of date/);

  const edit = await s.c.get(`/messages/${m.id}/edit`);
  const draft = edit.headers.get("Location")!.split("/")[2];
  const loaded = await (await s.c.get(`/compose/${draft}/content`)).text();
  assert.equal(box(loaded, "tr.es.text"), spanish["tr.es.text"]);
  assert.match(loaded, /value="es" checked/);
  const changed = {
    ...content,
    ...languages("es"),
    ...spanish,
    "tr.es.text": "Feria el sábado, {{student.firstName}}",
  };
  assert.equal((await post(s.c, draft, "content", changed, "send")).status, 303);
  assert.equal((await post(s.c, draft, "send", sendOptions, "commit")).status, 303);
  assert.equal((await getMessage(s.t.db, m.id))!.value.translations!.es.text, "Feria el sábado, {{student.firstName}}");
  const entry = (await listAudit(s.t.db, m.id)).find((a) => a.action === "edited")!;
  assert.deepEqual(entry.changes.find((ch) => ch.field === "Spanish: Text message"), {
    field: "Spanish: Text message",
    before: spanish["tr.es.text"],
    after: "Feria el sábado, {{student.firstName}}",
  });
  s.t.close();
});

Deno.test("languages: Translate and Translate all through the provider; an unsupported language says so", async () => {
  const translator = new FakeTranslator({ unsupported: ["so"] });
  const s = await setup(translator);
  const before = await (await s.c.get(`/compose/${s.draft}/content`)).text();
  assert.match(before, /value="translate:es"[^>]*>Translate into Spanish</);
  assert.doesNotMatch(before, /value="translate:so"/);
  assert.match(before, /DeepL does not translate into Somali: type it below, or its recipients get English\./);
  assert.doesNotMatch(before, /No machine translation is set up/);
  assert.match(before, /<details class="type-it"><summary>Type the Spanish yourself instead<\/summary>/, "folded");

  const one = await post(s.c, s.draft, "content", { ...content, ...languages("es", "so", "vi") }, "translate:es");
  assert.equal(one.status, 200);
  const translated = await one.text();
  assert.match(translated, /Translated into Spanish by DeepL: read it through before sending\./);
  assert.equal(box(translated, "tr.es.text"), "Ciencia feria viernes para {{student.firstName}}");
  assert.doesNotMatch(translated, /Type the Spanish yourself instead/, "translated: the boxes are open");
  assert.deepEqual(translator.calls.map((c) => [c.source, c.target, c.html]), [["en", "es", true]]);

  const all = await post(s.c, s.draft, "content", { ...content, ...languages("es", "so", "vi") }, "translate-all");
  assert.equal(all.status, 200);
  assert.match(await all.text(), /Translated into Spanish, Vietnamese by DeepL/);
  assert.deepEqual(translator.calls.slice(1).map((c) => c.target), ["es", "vi"], "Somali is not asked for");

  // One word corrected by hand, then sent: the correction is what is stored, still marked as a machine translation.
  const d = (await draftOf(s)).translations.es;
  const corrected = {
    ...content,
    ...languages("es", "so", "vi"),
    "tr.es.subject": d.subject,
    "tr.es.emailHtml": d.emailHtml,
    "tr.es.text": "Feria de ciencias viernes para {{student.firstName}}",
  };
  assert.equal((await post(s.c, s.draft, "content", corrected, "send")).status, 303);
  assert.equal((await post(s.c, s.draft, "send", sendOptions, "commit")).status, 303);
  const m = await sentMessage(s, "Science fair");
  assert.deepEqual(m.languages, ["es", "vi"]);
  assert.equal(m.translations!.es.text, "Feria de ciencias viernes para {{student.firstName}}");
  assert.equal(m.translations!.es.machine, true);
  assert.equal(m.translations!.vi.subject, "Ciencia feria");
  const details = await (await s.c.get(`/messages/${m.id}`)).text();
  assert.match(details, /Content in Vietnamese<\/h2><p>For 1 recipient\. Machine translation/);
  s.t.close();
});

Deno.test("languages: a translation that loses a merge field or a link is shown with the field named, and never sent", async () => {
  const translator = new FakeTranslator({
    mangle: (html) =>
      html.replace('<span translate="no">{{student.firstName}}</span>', "su hijo").replace(
        "https://lincoln.example.org/fair",
        "https://lincoln.example.org/feria",
      ),
  });
  const s = await setup(translator);
  const res = await post(s.c, s.draft, "content", { ...content, ...languages("es") }, "translate:es");
  assert.equal(res.status, 400);
  const page = await res.text();
  assert.match(page, /Spanish, Text message: the translation lost \{\{student\.firstName\}\}\. Correct it below/);
  assert.match(
    page,
    /Spanish, Email: the translation lost the link https:\/\/lincoln\.example\.org\/fair; added the link https:\/\/lincoln\.example\.org\/feria, which the original does not have/,
  );
  assert.match(page, /id="tr\.es\.text-error"/, "beside the field");
  assert.equal(box(page, "tr.es.text"), "Ciencia feria viernes para su hijo", "shown, to be corrected");

  const d = (await draftOf(s)).translations.es;
  const asTranslated = { ...content, ...languages("es"), "tr.es.subject": d.subject, "tr.es.emailHtml": d.emailHtml };
  const next = await post(s.c, s.draft, "content", { ...asTranslated, "tr.es.text": d.text }, "send");
  assert.equal(next.status, 400, "Next refuses it");
  assert.match(await next.text(), /Spanish, Text message: the translation lost \{\{student\.firstName\}\}/);
  const commit = await post(s.c, s.draft, "send", sendOptions, "commit");
  assert.equal(commit.status, 400, "Send refuses it");
  assert.match(await commit.text(), /Spanish, Email: the translation lost the link/);
  assert.equal((await s.t.db.kv.get(["demo", "message", (await draftOf(s)).messageId])).value, null, "nothing saved");

  const fixed = {
    ...asTranslated,
    "tr.es.emailHtml": d.emailHtml.replace("/feria", "/fair"),
    "tr.es.text": "Ciencia feria viernes para {{student.firstName}}",
  };
  assert.equal((await post(s.c, s.draft, "content", fixed, "send")).status, 303, "corrected by hand, it goes");
  s.t.close();
});

Deno.test("languages: the provider down or over quota is a clear message on the step; the draft is kept", async () => {
  for (
    const [error, said] of [
      [
        new TranslateError("connect ECONNREFUSED", "unavailable"),
        /DeepL could not be reached to translate into Spanish/,
      ],
      [new TranslateError("Quota exceeded", "quota"), /DeepL's translation allowance is used up/],
      [new TranslateError("Wrong key", "refused"), /DeepL refused to translate into Spanish \(Wrong key\)/],
    ] as const
  ) {
    const s = await setup(new FakeTranslator({ fail: error }));
    const typed = { ...content, ...languages("es"), "tr.es.subject": "Feria (a mano)" };
    const res = await post(s.c, s.draft, "content", typed, "translate:es");
    assert.equal(res.status, 502, error.reason);
    const page = await res.text();
    assert.match(page, said);
    assert.match(page, /Your message and its translations so far are kept\./);
    const again = await (await s.c.get(`/compose/${s.draft}/content`)).text();
    assert.match(again, /value="Science fair"/, "the draft as typed");
    assert.match(again, /value="Feria \(a mano\)"/);
    s.t.close();
  }
});

Deno.test("languages: an unknown language tag is a 400 naming the field, and is not taken", async () => {
  const s = await setup(new FakeTranslator());
  const cases: [Record<string, string | string[]>, string, RegExp][] = [
    [{ languages: ["es", "xx"] }, "send", /Languages: xx is not a language Messenger knows/],
    [{ languages: "<script>" }, "send", /Languages: &lt;script> is not a language Messenger knows/],
    [{ languagesOffered: "qq-QQ" }, "send", /Languages: qq-QQ is not a language Messenger knows/],
    [{ "tr.zz.subject": "x" }, "send", /tr\.zz\.subject: zz is not a language Messenger knows/],
    [{}, "translate:de", /Languages: translate:de does not name a language Messenger knows/],
  ];
  for (const [fields, go, said] of cases) {
    const res = await post(s.c, s.draft, "content", { ...content, ...fields }, go);
    assert.equal(res.status, 400, JSON.stringify(fields));
    assert.match(await res.text(), said);
  }
  assert.equal((await draftOf(s)).translations.zz, undefined);
  assert.equal((await draftOf(s)).languages?.includes("xx"), false);
  s.t.close();
});

Deno.test("languages: content over a mode's limit in any language is refused with the language named", async () => {
  const s = await setup();
  const long = await post(
    s.c,
    s.draft,
    "content",
    { ...content, ...languages("es"), "tr.es.text": "ñ".repeat(1601) },
    "send",
  );
  assert.equal(long.status, 400);
  assert.match(
    await long.text(),
    /Spanish, Text message is too long: at most 1,600 characters \(the rest was cut off\)/,
  );
  const subject = await post(s.c, s.draft, "content", { ...content, "tr.so.subject": "s".repeat(201) }, "send");
  assert.match(await subject.text(), /Somali, Subject is too long: at most 200 characters/);
  // Two-byte characters in three languages at their limits would not fit one KV value: refused, never a 500.
  const huge = Object.fromEntries(["es", "so", "vi"].map((tag) => [`tr.${tag}.emailHtml`, "ş".repeat(12_000)]));
  const tooBig = await post(s.c, s.draft, "content", { ...content, ...languages("es", "so", "vi"), ...huge }, "send");
  assert.equal(tooBig.status, 400);
  assert.match(await tooBig.text(), /The message and its translations are too long to keep together/);
  assert.equal((await s.c.get(`/compose/${s.draft}/content`)).status, 200, "the draft is still there");
  // A translation's text counts its texts as the original's does: UCS-2 is common.
  await post(s.c, s.draft, "content", { ...content, ...languages("vi"), "tr.vi.text": "Hội chợ khoa học" }, "preview");
  const page = await (await s.c.get(`/compose/${s.draft}/content`)).text();
  assert.match(page, /id="tr\.vi\.text-count">16 characters: 1 text, room for 54 more\. Special characters ộ ợ ọ/);
  s.t.close();
});

Deno.test("languages: a sent translation must be whole and its merge fields fillable, like the original", async () => {
  const s = await setup();
  const partial = {
    ...content,
    ...languages("es"),
    "tr.es.subject": "Feria",
    "tr.es.text": "Feria {{student.homeroom}}",
  };
  const res = await post(s.c, s.draft, "content", partial, "send");
  assert.equal(res.status, 400);
  const page = await res.text();
  assert.match(page, /Spanish, Email is empty, but the original has one: translate it, type it, or untick Spanish/);
  assert.match(
    page,
    /Spanish, Text message uses \{\{student\.homeroom\}\}, which is not a merge field Messenger knows/,
  );
  const noSubject = await post(s.c, s.draft, "content", {
    ...content,
    ...languages("es"),
    ...spanish,
    "tr.es.subject": "",
  }, "send");
  assert.match(await noSubject.text(), /Spanish: enter a subject/);
  s.t.close();
});

Deno.test("languages: a translation made before the original changed is marked stale on the step and View Details", async () => {
  const s = await setup(new FakeTranslator());
  assert.equal((await post(s.c, s.draft, "content", { ...content, ...languages("es") }, "translate:es")).status, 200);
  const d = (await draftOf(s)).translations.es;
  const kept = { "tr.es.subject": d.subject, "tr.es.emailHtml": d.emailHtml, "tr.es.text": d.text };
  const fresh = await (await post(s.c, s.draft, "content", { ...content, ...languages("es"), ...kept }, "preview"))
    .text();
  assert.doesNotMatch(fresh, /May be out of date/);
  const edited = { ...content, text: "Science fair Saturday for {{student.firstName}}", ...languages("es"), ...kept };
  const page = await (await post(s.c, s.draft, "content", edited, "preview")).text();
  assert.match(page, /May be out of date: the English message changed after this translation was made/);
  assert.match(page, /value="up-to-date:es"[^>]*>Spanish is up to date</);
  // Sending it is allowed, and View Details keeps the mark.
  assert.equal((await post(s.c, s.draft, "content", edited, "send")).status, 303);
  assert.equal((await post(s.c, s.draft, "send", sendOptions, "commit")).status, 303);
  const m = await sentMessage(s, "Science fair");
  assert.match(await (await s.c.get(`/messages/${m.id}`)).text(), /May be out of date: the English content changed/);
  // Edit Message: marked up to date, then Update: the mark is gone.
  const draft = (await s.c.get(`/messages/${m.id}/edit`)).headers.get("Location")!.split("/")[2];
  const marked = await post(s.c, draft, "content", edited, "up-to-date:es");
  assert.equal(marked.status, 200);
  assert.doesNotMatch(await marked.text(), /May be out of date/);
  assert.equal((await post(s.c, draft, "send", sendOptions, "commit")).status, 303);
  assert.doesNotMatch(await (await s.c.get(`/messages/${m.id}`)).text(), /May be out of date/);
  s.t.close();
});

Deno.test("languages: recipients who all read the district's language get one quiet line, nothing to choose", async () => {
  const t = await testApp({ translator: new FakeTranslator() });
  const c = await signedIn(t, "office");
  const draft = (await c.post("/messages/new", {})).headers.get("Location")!.split("/")[2];
  await post(c, draft, "recipients", recipients, "content");
  const page = await (await c.get(`/compose/${draft}/content`)).text();
  assert.match(
    page,
    /Languages: every recipient reads English, or has no preferred language, so all get this message\./,
  );
  assert.doesNotMatch(page, /Send a version in|value="translate/);
  t.close();
});
