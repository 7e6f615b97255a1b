/**
 * Bundles the browser code with `deno bundle` (esbuild inside Deno, so npm:
 * imports resolve exactly as on the server): client.js, htmx and the islands,
 * on every page; editor.js, the email editor, fetched by its island only on
 * the page that shows it. `--if-stale` skips the build when both bundles are
 * newer than every source.
 *
 * The server compiles JSX with "precompile" (string templates that only
 * server rendering understands), so the bundle is built with a copy of
 * deno.json that uses the ordinary automatic runtime instead.
 */
const root = new URL("../", import.meta.url);
const outDir = new URL("static/build/", root);
/** Entry → bundle. */
const bundles = [["islands/client.ts", "client.js"], ["islands/editor.ts", "editor.js"]] as const;
/** Everything the bundle is made from (islands import these services). */
const sources = [new URL("islands/", root), new URL("services/segments.ts", root), new URL("deno.json", root)];

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const src of sources) {
    const info = await Deno.stat(src);
    if (info.isFile) newest = Math.max(newest, info.mtime?.getTime() ?? 0);
    else {
      for await (const entry of Deno.readDir(src)) {
        newest = Math.max(newest, (await Deno.stat(new URL(entry.name, src))).mtime?.getTime() ?? 0);
      }
    }
  }
  return newest;
}

if (Deno.args.includes("--if-stale")) {
  let built = Infinity;
  for (const [, file] of bundles) {
    built = Math.min(built, await Deno.stat(new URL(file, outDir)).then((s) => s.mtime?.getTime() ?? 0, () => 0));
  }
  if (built > await newestSource()) Deno.exit(0);
}

await Deno.mkdir(outDir, { recursive: true });
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
config.compilerOptions = { ...config.compilerOptions, jsx: "react-jsx", jsxPrecompileSkipElements: undefined };
delete config.tasks;
const bundleConfig = new URL("deno.bundle.json", root);
await Deno.writeTextFile(bundleConfig, JSON.stringify(config, null, 2));
try {
  for (const [entry, file] of bundles) {
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--config",
        bundleConfig.pathname,
        "--platform",
        "browser",
        "--minify",
        "--output",
        new URL(file, outDir).pathname,
        entry,
      ],
      cwd: root.pathname,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!result.success) {
      console.error(`build: bundling ${entry} failed`);
      Deno.exit(1);
    }
  }
} finally {
  await Deno.remove(bundleConfig);
}
