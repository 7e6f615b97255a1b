import assert from "node:assert/strict";
import { Hono } from "hono";
import { staticFiles } from "./static.ts";
import type { AppEnv } from "./env.ts";
import { Client, testApp } from "../tests/support/app.ts";

const IMMUTABLE = "public, max-age=31536000, immutable";

Deno.test("pages link fingerprinted static files, and those are cached for a year", async () => {
  const t = await testApp();
  const c = new Client(t.app);
  const html = await (await c.get("/signin")).text();
  const links = [...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(
    links.map((l) => l.replace(/\.[0-9a-f]{16}\./, ".#.")).sort(),
    ["/static/app.#.css", "/static/build/client.#.js", "/static/favicon.#.svg"],
  );
  for (const link of links) {
    const res = await c.get(link);
    await res.body?.cancel();
    assert.equal(res.status, 200, link);
    assert.equal(res.headers.get("Cache-Control"), IMMUTABLE, link);
  }
  t.close();
});

Deno.test("a changed file gets a new name; its old name is answered, never kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "static-test-" });
  try {
    const files = staticFiles(new URL(`file://${dir}/`));
    const app = new Hono<AppEnv>().route("/", files.routes);
    await Deno.writeTextFile(`${dir}/app.css`, "main { color: red }");
    const first = files.href("app.css");
    assert.match(first, /^\/static\/app\.[0-9a-f]{16}\.css$/);
    assert.equal(files.href("app.css"), first, "the same content keeps its name");

    const res = await app.request(first);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("Cache-Control"), IMMUTABLE);
    assert.equal(res.headers.get("Content-Type"), "text/css; charset=utf-8");
    assert.equal(await res.text(), "main { color: red }");

    await Deno.writeTextFile(`${dir}/app.css`, "main { color: blue }");
    const second = files.href("app.css");
    assert.match(second, /^\/static\/app\.[0-9a-f]{16}\.css$/);
    assert.notEqual(second, first, "a changed file gets a new name");
    const fresh = await app.request(second);
    assert.equal(fresh.headers.get("Cache-Control"), IMMUTABLE);
    assert.equal(await fresh.text(), "main { color: blue }");
    // A page rendered before the change still gets styled, but nobody may keep this under the old name.
    const stale = await app.request(first);
    assert.equal(stale.headers.get("Cache-Control"), "no-cache");
    assert.equal(await stale.text(), "main { color: blue }");

    const plain = await app.request("/static/app.css");
    assert.equal(plain.headers.get("Cache-Control"), "no-cache");
    const etag = plain.headers.get("ETag")!;
    await plain.body?.cancel();
    assert.equal((await app.request("/static/app.css", { headers: { "If-None-Match": etag } })).status, 304);

    assert.equal(files.href("missing.css"), "/static/missing.css");
    for (const path of ["/static/missing.css", "/static/.hidden.0123456789abcdef.css", "/static/app.txt"]) {
      const res = await app.request(path);
      await res.body?.cancel();
      assert.equal(res.status, 404, path);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
