/**
 * Files under static/. Pages link them by a fingerprinted name, the content's
 * hash inside it (`/static/app.3f9a0c1be2d47a65.css`), which browsers may keep
 * for a year without asking again: a changed file gets a new name, so no page
 * ever gets stale CSS or script. The plain name still answers, revalidated
 * with an ETag, for anything that links it directly.
 */
import { Hono } from "hono";
import { createHash } from "node:crypto";
import type { AppEnv } from "./env.ts";

const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};
const IMMUTABLE = "public, max-age=31536000, immutable";
/** `app.3f9a0c1be2d47a65.css` → `app`, `3f9a0c1be2d47a65`, `.css`. */
const FINGERPRINTED = /^(.+)\.([0-9a-f]{16})(\.[a-z]+)$/;

interface Loaded {
  mtime: number;
  size: number;
  hash: string;
  bytes: Uint8Array<ArrayBuffer>;
}

export interface StaticFiles {
  /** The fingerprinted address of `name` (relative to the root); the plain one when the file is missing. */
  href(name: string): string;
  routes: Hono<AppEnv>;
}

export function staticFiles(root: URL): StaticFiles {
  const loaded = new Map<string, Loaded>();

  /**
   * The file as it is now, read again only when its size or time changed:
   * a stat per use keeps a file edited or rebuilt while the server runs
   * from being served under the hash of what it was.
   */
  function load(rel: string): Loaded | null {
    const file = new URL(rel, root);
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(file);
    } catch {
      return null;
    }
    if (!info.isFile) return null;
    const mtime = info.mtime?.getTime() ?? 0;
    const seen = loaded.get(rel);
    if (seen && seen.mtime === mtime && seen.size === info.size) return seen;
    const bytes = Deno.readFileSync(file);
    const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
    const now = { mtime, size: info.size, hash, bytes };
    loaded.set(rel, now);
    return now;
  }

  function href(name: string): string {
    const hash = load(name)?.hash;
    if (!hash) return `/static/${name}`;
    const dot = name.lastIndexOf(".");
    return `/static/${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
  }

  const routes = new Hono<AppEnv>().get("/static/*", (c) => {
    const asked = c.req.path.slice("/static/".length);
    const [, base, hash, ext] = asked.match(FINGERPRINTED) ?? [];
    const rel = hash ? base + ext : asked;
    const type = TYPES[rel.slice(rel.lastIndexOf("."))];
    if (!type || rel.split("/").some((part) => part === ".." || part === "" || part.startsWith("."))) {
      return c.text("Not found", 404);
    }
    const file = load(rel);
    if (!file) return c.text("Not found", 404);
    const etag = `"${file.hash}"`;
    // A name whose hash is not the file's (a page rendered before a deploy) gets today's file, never kept.
    const headers = { ETag: etag, "Cache-Control": hash === file.hash ? IMMUTABLE : "no-cache", "Content-Type": type };
    if (c.req.header("If-None-Match") === etag) return c.body(null, 304, headers);
    return c.body(file.bytes, 200, headers);
  });

  return { href, routes };
}

const files = staticFiles(new URL("../static/", import.meta.url));
export const staticRoutes = files.routes;
/** `/static/<name>` as pages link it: fingerprinted, so it is cached for good. */
export const staticHref = files.href;
