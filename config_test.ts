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
