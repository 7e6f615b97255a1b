import assert from "node:assert/strict";
import { listenHostname, loadConfig } from "./config.ts";

const configOf = (env: Record<string, string>) => {
  const loaded = loadConfig(env);
  if ("problems" in loaded) throw new Error(loaded.problems.join("\n"));
  return loaded.config;
};

Deno.test("the demo listens on this machine only, unless HOSTNAME is set on purpose", () => {
  assert.equal(listenHostname(configOf({})), "127.0.0.1");
  assert.equal(listenHostname(configOf({ HOSTNAME: "0.0.0.0" })), "0.0.0.0");
  assert.equal(listenHostname(configOf({ MESSENGER_ENV: "production" })), "0.0.0.0");
});

Deno.test("the demo refuses a public PUBLIC_URL; a local one is fine", () => {
  const refused = loadConfig({ PUBLIC_URL: "https://messenger.district.example" });
  assert.ok("problems" in refused);
  assert.match(refused.problems.join("\n"), /MESSENGER_ENV: the demo .* will not serve https:\/\/messenger\.district/);
  for (const local of ["http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000"]) {
    assert.ok("config" in loadConfig({ PUBLIC_URL: local }), local);
  }
  assert.ok("config" in loadConfig({ MESSENGER_ENV: "production", PUBLIC_URL: "https://messenger.district.example" }));
});

Deno.test("configuration problems name the variable", () => {
  const loaded = loadConfig({ PORT: "99999", TRUST_PROXY: "yes" });
  assert.ok("problems" in loaded);
  assert.match(loaded.problems.join("\n"), /PORT:/);
  assert.match(loaded.problems.join("\n"), /TRUST_PROXY:/);
});

Deno.test("Mailgun: key and domain together; the US API unless told; a bad base address or half a setting stops start-up", () => {
  const mailgun = {
    MAILGUN_API_KEY: "0123456789abcdef0123456789abcdef-0123abcd-4567ef01",
    MAILGUN_DOMAIN: "mg.district.org",
  };
  const config = configOf({ ...mailgun, MAILGUN_WEBHOOK_SIGNING_KEY: "0123456789abcdef0123456789abcdef" });
  assert.equal(config.MAILGUN_API_BASE, "https://api.mailgun.net");
  assert.equal(config.MAILGUN_CONCURRENCY, 4);
  assert.equal(
    configOf({ ...mailgun, MAILGUN_API_BASE: "https://api.eu.mailgun.net" }).MAILGUN_API_BASE,
    "https://api.eu.mailgun.net",
  );
  assert.ok(
    "config" in loadConfig({ ...mailgun, MAILGUN_API_BASE: "http://127.0.0.1:8025" }),
    "a mock on this machine",
  );
  const problems = (env: Record<string, string>) => {
    const loaded = loadConfig(env);
    return "problems" in loaded ? loaded.problems.join("\n") : "";
  };
  assert.match(
    problems({ MAILGUN_API_KEY: mailgun.MAILGUN_API_KEY }),
    /MAILGUN_API_KEY: set MAILGUN_API_KEY and MAILGUN_DOMAIN together/,
  );
  assert.match(problems({ MAILGUN_DOMAIN: "mg.district.org" }), /MAILGUN_API_KEY: set .* together/);
  assert.match(problems({ ...mailgun, MAILGUN_DOMAIN: "https://mg.district.org" }), /MAILGUN_DOMAIN: a sending domain/);
  for (
    const base of [
      "api.mailgun.net",
      "http://api.mailgun.net",
      "https://api.mailgun.net/v3",
      "https://api.mailgun.net?x=1",
    ]
  ) {
    assert.match(problems({ ...mailgun, MAILGUN_API_BASE: base }), /MAILGUN_API_BASE: /, base);
  }
  assert.match(
    problems({ MAILGUN_WEBHOOK_SIGNING_KEY: "0123456789abcdef0123456789abcdef" }),
    /MAILGUN_WEBHOOK_SIGNING_KEY: .*set MAILGUN_API_KEY/,
  );
  assert.match(problems({ ...mailgun, MAILGUN_CONCURRENCY: "0" }), /MAILGUN_CONCURRENCY:/);
});

Deno.test("DeepL: TRANSLATE_PROVIDER=deepl needs its key; a key without the provider, or a free key sent to Pro, stops start-up", () => {
  assert.equal(configOf({}).TRANSLATE_PROVIDER, undefined);
  const deepl = configOf({ TRANSLATE_PROVIDER: "deepl", DEEPL_API_KEY: "0123abcd-4567-89ef-0123-456789abcdef:fx" });
  assert.equal(deepl.DEEPL_SERVER_URL, undefined, "deepl-node picks DeepL's server from the key");
  assert.equal(configOf({ TRANSLATE_PROVIDER: "none", DEEPL_API_KEY: "0123abcd-4567" }).TRANSLATE_PROVIDER, "none");
  assert.equal(
    configOf({ TRANSLATE_PROVIDER: "deepl", DEEPL_API_KEY: "0123abcd-4567", DEEPL_SERVER_URL: "http://127.0.0.1:8123" })
      .DEEPL_SERVER_URL,
    "http://127.0.0.1:8123",
  );
  const problems = (env: Record<string, string>) => {
    const loaded = loadConfig(env);
    return "problems" in loaded ? loaded.problems.join("\n") : "";
  };
  assert.match(problems({ TRANSLATE_PROVIDER: "deepl" }), /DEEPL_API_KEY: TRANSLATE_PROVIDER=deepl needs DeepL's key/);
  assert.match(problems({ DEEPL_API_KEY: "0123abcd-4567" }), /TRANSLATE_PROVIDER: DeepL is set up but not chosen/);
  assert.match(problems({ TRANSLATE_PROVIDER: "google" }), /TRANSLATE_PROVIDER:/);
  assert.match(
    problems({
      TRANSLATE_PROVIDER: "deepl",
      DEEPL_API_KEY: "0123abcd-4567:fx",
      DEEPL_SERVER_URL: "https://api.deepl.com",
    }),
    /DEEPL_SERVER_URL: a DeepL API Free key/,
  );
  assert.match(
    problems({ TRANSLATE_PROVIDER: "deepl", DEEPL_API_KEY: "0123abcd-4567", DEEPL_SERVER_URL: "http://deepl.example" }),
    /DEEPL_SERVER_URL: an https:\/\/ address/,
  );
});
