/**
 * What the fuzz test needs besides the app: the forms and links a page
 * offers (so every field is found without a list kept by hand), a KV that
 * records what each request wrote, and copies of a KV so each route starts
 * from the same state.
 */

export interface Form {
  action: string;
  method: "GET" | "POST";
  /** Field name → the values the page fills in (all of a repeated name). */
  fields: Map<string, string[]>;
}

const ATTR = (tag: string, name: string) =>
  new RegExp(`\\s${name}="([^"]*)"`, "i").exec(tag)?.[1]?.replaceAll("&amp;", "&").replaceAll("&quot;", '"');

/** The forms of a server-rendered page, with what a browser would submit untouched. */
export function formsIn(html: string, base: string): Form[] {
  const forms: Form[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const action = new URL(ATTR(m[1], "action") ?? base, "http://x" + base);
    const fields = new Map<string, string[]>();
    const add = (name: string | undefined, value: string) => {
      if (name) fields.set(name, [...fields.get(name) ?? [], value]);
    };
    for (const tag of m[2].matchAll(/<(input|textarea|select|button)\b([^>]*)>/gi)) {
      const name = ATTR(tag[2], "name");
      const type = ATTR(tag[2], "type") ?? "text";
      if (tag[1].toLowerCase() === "button" || type === "file") {
        if (!fields.has(name ?? "")) fields.set(name ?? "", []);
        continue;
      }
      if ((type === "checkbox" || type === "radio") && !/\schecked\b/i.test(tag[2])) {
        if (name && !fields.has(name)) fields.set(name, []);
        continue;
      }
      add(name, ATTR(tag[2], "value") ?? "");
    }
    fields.delete("");
    forms.push({
      action: action.pathname + action.search,
      method: (ATTR(m[1], "method") ?? "get").toUpperCase() === "POST" ? "POST" : "GET",
      fields,
    });
    // htmx posts the same fields elsewhere (a live preview): that endpoint is a form action too.
    for (const hx of m[0].matchAll(/\shx-post="([^"]*)"/g)) forms.push({ action: hx[1], method: "POST", fields });
  }
  return forms;
}

/** Same-site links of a page (paths with their query). */
export function linksIn(html: string): string[] {
  return [...html.matchAll(/\shref="(\/[^"]*)"/g)].map((m) => m[1].replaceAll("&amp;", "&"));
}

/** Paths of one shape ("/admin/people/:x") count once a few times over: enough examples, and every page is reached. */
export function shapeOf(link: string): string {
  const [path, query = ""] = link.split("?");
  const keys = [...new URLSearchParams(query).keys()].sort().join("&");
  return path.split("/").map((s, i) => (i > 2 && s ? ":x" : s)).join("/") + "?" + keys;
}

/** A route pattern ("/runs/:id/recipients.csv") as a matcher of concrete paths. */
export function patternOf(path: string): RegExp {
  const source = path.split(/(:[A-Za-z]+)/).map((part) =>
    part.startsWith(":") ? "([^/]+)" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  ).join("");
  return new RegExp(`^${source}$`);
}

/** Every key a request wrote (set, delete, sum, enqueue), recorded by a proxy around the real KV. */
export function recordingKv(kv: Deno.Kv): { kv: Deno.Kv; writes: Deno.KvKey[] } {
  const writes: Deno.KvKey[] = [];
  const atomic = () => {
    const op = kv.atomic();
    const staged: Deno.KvKey[] = [];
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (prop === "set" || prop === "delete" || prop === "sum" || prop === "min" || prop === "max") {
            staged.push(args[0] as Deno.KvKey);
          }
          if (prop === "enqueue") staged.push(["queue"]);
          if (prop === "mutate") { for (const m of args as Deno.KvMutation[]) staged.push(m.key); }
          const result = value.apply(target, args);
          if (prop === "commit") {
            return (result as Promise<Deno.KvCommitResult | Deno.KvCommitError>).then((r) => {
              if (r.ok) writes.push(...staged);
              return r;
            });
          }
          return result === target ? proxy : result;
        };
      },
    });
    return proxy;
  };
  const recorded: Deno.Kv = new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "atomic") return atomic;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "set" || prop === "delete") writes.push(args[0] as Deno.KvKey);
        if (prop === "enqueue") writes.push(["queue"]);
        return value.apply(target, args);
      };
    },
  });
  return { kv: recorded, writes };
}

/** A new in-memory KV holding every entry of `entries`. */
export async function kvWith(entries: Deno.KvEntry<unknown>[]): Promise<Deno.Kv> {
  const kv = await Deno.openKv(":memory:");
  for (let i = 0; i < entries.length; i += 100) {
    await Promise.all(entries.slice(i, i + 100).map((e) => kv.set(e.key, e.value)));
  }
  return kv;
}
