import { Hono } from "hono";
import type { AppEnv } from "./env.ts";

const ROOT = new URL("../static/", import.meta.url);
const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Files under static/, with an ETag so slow links revalidate cheaply. */
export const staticRoutes = new Hono<AppEnv>().get("/static/*", async (c) => {
  const rel = c.req.path.slice("/static/".length);
  const ext = rel.slice(rel.lastIndexOf("."));
  if (
    !TYPES[ext] ||
    rel.split("/").some((part) => part === ".." || part === "" || part.startsWith("."))
  ) {
    return c.text("Not found", 404);
  }
  const file = new URL(rel, ROOT);
  const info = await Deno.stat(file).catch(() => null);
  if (!info?.isFile) return c.text("Not found", 404);
  const etag = `W/"${info.size.toString(36)}-${(info.mtime?.getTime() ?? 0).toString(36)}"`;
  const headers = {
    ETag: etag,
    "Cache-Control": "no-cache",
    "Content-Type": TYPES[ext],
  };
  if (c.req.header("If-None-Match") === etag) return c.body(null, 304, headers);
  return c.body(await Deno.readFile(file), 200, headers);
});
