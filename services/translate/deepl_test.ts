/** DeepL through its official client (deepl-node), pointed at the DeepL-compatible mock on loopback. */
import assert from "node:assert/strict";
import { deeplSource, deeplTarget, deeplTranslator } from "./deepl.ts";
import { buildTranslator } from "./index.ts";
import { TranslateError } from "./translator.ts";
import { type DeeplMock, startDeeplMock } from "../../tests/support/deepl_mock.ts";

async function withMock(fn: (mock: DeeplMock) => Promise<void>): Promise<void> {
  const mock = startDeeplMock();
  try {
    await fn(mock);
  } finally {
    await mock.close();
  }
}

const en = (target: string, html = false) => ({ source: "en", target, html });

Deno.test("DeepL: a batch of texts is one request, in order, with DeepL's fields and the key; empty texts stay empty", () =>
  withMock(async (mock) => {
    const deepl = deeplTranslator({ apiKey: mock.apiKey, serverUrl: mock.url });
    const out = await deepl.translate(["Hello", "School is closed tomorrow.", "", "  ", "Thank you"], en("es"));
    assert.deepEqual(out, ["[es] Hola", "[es] Escuela está cerrada mañana.", "", "  ", "[es] Gracias usted"]);
    assert.equal(mock.requests.length, 1);
    const [sent] = mock.requests;
    assert.equal(sent.authorization, `DeepL-Auth-Key ${mock.apiKey}`);
    assert.equal(sent.encoding, "form");
    assert.deepEqual(sent.texts, ["Hello", "School is closed tomorrow.", "Thank you"]);
    assert.equal(sent.targetLang, "es-419");
    assert.equal(sent.sourceLang, "en");
    assert.equal(sent.tagHandling, undefined);
    assert.equal(deepl.name, "deepl");
  }));

Deno.test("DeepL: more than 50 texts, or more than 128 KiB, go in as few requests as DeepL's limits allow, in order", () =>
  withMock(async (mock) => {
    const deepl = deeplTranslator({ apiKey: mock.apiKey, serverUrl: mock.url });
    const many = Array.from({ length: 120 }, (_, i) => `Day ${i}`);
    assert.deepEqual(await deepl.translate(many, en("es")), many.map((t) => `[es] ${t.replace("Day", "Día")}`));
    assert.deepEqual(mock.requests.map((r) => r.texts.length), [50, 50, 20]);

    mock.requests.length = 0;
    // Each about 50 KB as a form: two fit in one request, the third does not.
    const long = ["a", "b", "c"].map((letter) => `${letter} `.repeat(25_000).trim());
    const out = await deepl.translate(long, en("fr"));
    assert.deepEqual(out, long.map((t) => `[fr] ${t}`));
    assert.deepEqual(mock.requests.map((r) => [r.status, r.texts.length]), [[200, 2], [200, 1]]);
  }));

Deno.test("DeepL: HTML goes with tag_handling=html and comes back with its tags, links and translate=no spans", () =>
  withMock(async (mock) => {
    const deepl = deeplTranslator({ apiKey: mock.apiKey, serverUrl: mock.url });
    const html = '<p>Dear <span translate="no">{{recipient.firstName}}</span>,</p>' +
      '<p>School is <strong>closed</strong> tomorrow. <a href="https://lincoln.example/snow">Snow day</a></p>';
    const [out] = await deepl.translate([html], en("es", true));
    assert.equal(
      out,
      '<p>[es] Estimada <span translate="no">{{recipient.firstName}}</span>,</p>' +
        '<p>Escuela está <strong>cerrada</strong> mañana. <a href="https://lincoln.example/snow">Nieve día</a></p>',
    );
    assert.equal(mock.requests[0].tagHandling, "html");
    assert.deepEqual(mock.requests[0].texts, [html]);
  }));

Deno.test("DeepL: into a text-only language (Vietnamese) the HTML's text goes as plain texts and its markup stays here", () =>
  withMock(async (mock) => {
    const deepl = deeplTranslator({ apiKey: mock.apiKey, serverUrl: mock.url });
    const html = '<p>Dear <span translate="no">{{recipient.firstName}}</span>,</p>\n' +
      '<p>Bring a <em>coat</em> &amp; boots. <a href="https://lincoln.example/?a=1&amp;b=2">Details</a></p>';
    const [out, plain] = await deepl.translate([html, "<p>Snow day</p>"], en("vi", true));
    assert.equal(
      out,
      '<p>[vi] Dear <span translate="no">{{recipient.firstName}}</span>,</p>\n' +
        '<p>[vi] Bring a <em>[vi] coat</em> [vi] &amp; boots. <a href="https://lincoln.example/?a=1&amp;b=2">' +
        "[vi] Details</a></p>",
    );
    assert.equal(plain, "<p>[vi] Snow day</p>");
    assert.equal(mock.requests.length, 1, "every stretch of both texts in one request");
    assert.equal(mock.requests[0].tagHandling, undefined, "DeepL has no tag handling for Vietnamese");
    assert.deepEqual(mock.requests[0].texts, ["Dear", "Bring a", "coat", "& boots.", "Details", "Snow day"]);
    // The mock refuses what DeepL does not offer, so sending the markup would have failed this test.
    const refused = await fetch(`${mock.url}/v2/translate`, {
      method: "POST",
      headers: { Authorization: `DeepL-Auth-Key ${mock.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ text: ["<p>Hi</p>"], target_lang: "VI", tag_handling: "html" }),
    });
    assert.equal(refused.status, 400);
    await refused.body?.cancel();
  }));

Deno.test("DeepL: our language tags as DeepL's codes (targets with their variant, sources plain)", () =>
  withMock(async (mock) => {
    const cases: [string, string][] = [
      ["en", "en-US"],
      ["en-GB", "en-GB"],
      ["pt", "pt-BR"],
      ["pt-PT", "pt-PT"],
      ["zh", "zh-HANS"],
      ["zh-Hant", "zh-HANT"],
      ["zh-TW", "zh-HANT"],
      ["es", "es-419"],
      ["es-MX", "es-419"],
      ["es-ES", "es"],
      ["fr-CA", "fr"],
      ["ar", "ar"],
      ["ko", "ko"],
      ["ru", "ru"],
      ["vi", "vi"],
      ["ht", "ht"],
      ["tl", "tl"],
    ];
    for (const [tag, code] of cases) assert.equal(deeplTarget(tag), code, tag);
    assert.equal(deeplSource("en-US"), "en");
    assert.equal(deeplSource("zh-Hant"), "zh");
    assert.equal(deeplSource("so"), undefined);
    const deepl = deeplTranslator({ apiKey: mock.apiKey, serverUrl: mock.url });
    for (const [tag] of cases) await deepl.translate(["Hello"], { source: "en-US", target: tag, html: false });
    assert.deepEqual(mock.requests.map((r) => r.targetLang), cases.map(([, code]) => code));
    assert.ok(mock.requests.every((r) => r.sourceLang === "en"));
  }));

Deno.test("DeepL: supports() the languages DeepL has; Somali and Hmong are refused without a request", () =>
  withMock(async (mock) => {
    const deepl = deeplTranslator({ apiKey: mock.apiKey, serverUrl: mock.url });
    for (const tag of ["en", "es", "vi", "ar", "zh", "zh-Hant", "fr", "ht", "pt", "ru", "ko", "tl"]) {
      assert.equal(deepl.supports(tag), true, tag);
    }
    for (const tag of ["so", "hmn", "", "xx", "sm"]) assert.equal(deepl.supports(tag), false, tag);
    await assert.rejects(
      deepl.translate(["Hello"], en("so")),
      (e) =>
        e instanceof TranslateError && e.reason === "refused" && /does not translate into Soomaali/.test(e.message),
    );
    await assert.rejects(
      deepl.translate(["Hello"], { source: "hmn", target: "es", html: false }),
      (e) => e instanceof TranslateError && e.reason === "refused" && /from Hmoob/.test(e.message),
    );
    assert.equal(mock.requests.length, 0);
  }));

Deno.test("DeepL: each refusal as a TranslateError: 403 refused, 456 quota, 429 and 5xx unavailable, 413 refused", () =>
  withMock(async (mock) => {
    const deepl = deeplTranslator({ apiKey: mock.apiKey, serverUrl: mock.url, retries: 0 });
    const cases: [403 | 456 | 429 | 500 | 503, TranslateError["reason"], RegExp][] = [
      [403, "refused", /refused Messenger's API key: ask an administrator to check DEEPL_API_KEY/],
      [456, "quota", /quota for this billing period is used up/],
      [429, "unavailable", /DeepL is busy .* try Translate again in a minute/],
      [500, "unavailable", /DeepL is not working right now \(500\)/],
      [503, "unavailable", /DeepL is not working right now \(503\)/],
    ];
    for (const [status, reason, message] of cases) {
      mock.requests.length = 0;
      mock.failNext(1, status);
      await assert.rejects(
        deepl.translate(["Hello"], en("es")),
        (e) => e instanceof TranslateError && e.reason === reason && message.test(e.message),
        String(status),
      );
      assert.deepEqual(mock.requests.map((r) => r.status), [status], `${status}: sent once, not retried`);
    }
    mock.requests.length = 0;
    await assert.rejects(
      deepl.translate(["word ".repeat(30_000)], en("es")),
      (e) =>
        e instanceof TranslateError && e.reason === "refused" &&
        /refused the request \(413: Request Entity Too Large\)/.test(e.message),
    );
    assert.deepEqual(mock.requests.map((r) => r.status), [413]);
  }));

Deno.test("DeepL: a 429 is tried again (deepl-node's backoff) and then translates; one that lasts is reported", () =>
  withMock(async (mock) => {
    const deepl = deeplTranslator({ apiKey: mock.apiKey, serverUrl: mock.url, retries: 1 });
    mock.failNext(1, 429, 1);
    assert.deepEqual(await deepl.translate(["Hello"], en("es")), ["[es] Hola"]);
    assert.deepEqual(mock.requests.map((r) => r.status), [429, 200]);

    mock.requests.length = 0;
    mock.failNext(5, 429);
    await assert.rejects(
      deepl.translate(["Hello"], en("es")),
      (e) => e instanceof TranslateError && e.reason === "unavailable",
    );
    assert.deepEqual(mock.requests.map((r) => r.status), [429, 429]);
  }));

Deno.test("DeepL: a wrong key is refused; nothing listening is unavailable", async () => {
  await withMock(async (mock) => {
    const deepl = deeplTranslator({ apiKey: "someone-else's-key:fx", serverUrl: mock.url });
    await assert.rejects(
      deepl.translate(["Hello"], en("es")),
      (e) => e instanceof TranslateError && e.reason === "refused" && /DEEPL_API_KEY/.test(e.message),
    );
    assert.equal(mock.requests[0].authorization, "DeepL-Auth-Key someone-else's-key:fx");
  });
  const gone = startDeeplMock();
  await gone.close();
  const deepl = deeplTranslator({ apiKey: gone.apiKey, serverUrl: gone.url });
  await assert.rejects(
    deepl.translate(["Hello"], en("es")),
    (e) => e instanceof TranslateError && e.reason === "unavailable" && /could not be reached/.test(e.message),
  );
});

Deno.test("DeepL mock: its switches garble protected spans as a careless translator would, for the wizard's check", () =>
  withMock(async (mock) => {
    const deepl = deeplTranslator({ apiKey: mock.apiKey, serverUrl: mock.url });
    const html = '<p>Hello <span translate="no">{{student.firstName}}</span> and <b>family</b></p>';
    const outcomes: Record<DeeplMock["protectedSpans"], string> = {
      keep: '<p>[es] Hola <span translate="no">{{student.firstName}}</span> y <b>familia</b></p>',
      drop: "<p>[es] Hola  y <b>familia</b></p>",
      unwrap: "<p>[es] Hola {{student.firstName}} y <b>familia</b></p>",
      translate: '<p>[es] Hola <span translate="no">{{estudiante.firstName}}</span> y <b>familia</b></p>',
    };
    for (const [spans, expected] of Object.entries(outcomes)) {
      mock.protectedSpans = spans as DeeplMock["protectedSpans"];
      assert.deepEqual(await deepl.translate([html], en("es", true)), [expected], spans);
    }
    mock.protectedSpans = "keep";
    // Unprotected, a merge field in plain text is garbled too.
    assert.deepEqual(await deepl.translate(["Hello {{student.firstName}}"], en("es")), [
      "[es] Hola {{estudiante.firstName}}",
    ]);
  }));

Deno.test("DeepL from configuration: none unless TRANSLATE_PROVIDER=deepl", () =>
  withMock(async (mock) => {
    assert.equal(buildTranslator({}), undefined);
    assert.equal(buildTranslator({ provider: "none", deeplApiKey: mock.apiKey }), undefined);
    const deepl = buildTranslator({ provider: "deepl", deeplApiKey: mock.apiKey, deeplServerUrl: mock.url });
    assert.equal(deepl?.name, "deepl");
    assert.deepEqual(await deepl!.translate(["Hello"], en("es")), ["[es] Hola"]);
  }));
