/**
 * The real app (main.ts) as a child process on a KV file, for crash and
 * restart tests: started with its own environment, its output drained and
 * kept, stopped (SIGTERM) or killed (SIGKILL), and always awaited.
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** Variables main.ts reads: none leak in from the environment the tests run in. */
const APP_VARS =
  /^(PORT|HOSTNAME|KV_PATH|DENO_DEPLOYMENT_ID|PUBLIC_URL|REFRESH_SECONDS|DISPATCH_SECONDS|LEASE_SECONDS|SEND_.*|OUTBOX_.*|MESSENGER_.*|DISTRICT_.*|ADMIN_.*|SMTP_.*|MAILGUN_.*|TWILIO_.*|STATUS_.*|REDIAL_.*|DISPATCH_.*|TRUST_PROXY)$/;

export interface AppChild {
  url: string;
  port: number;
  pid: number;
  /** Everything the app printed so far, stdout and stderr interleaved. */
  output(): string;
  /** SIGKILL: no shutdown of any kind, like a crash or a lost machine. */
  kill(): Promise<Deno.CommandStatus>;
  /** SIGTERM (main.ts has no handler: it ends at once), then wait for the process and its output. */
  stop(): Promise<Deno.CommandStatus>;
}

export interface AppOptions {
  kvPath: string;
  env?: Record<string, string>;
  /** The port to listen on (default: a free one), for a caller whose env must name it, e.g. PUBLIC_URL. */
  port?: number;
  /** Flags for `deno run` before the script, e.g. `--v8-flags=--prof` to profile an instance. */
  denoFlags?: string[];
}

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export async function startApp(opts: AppOptions): Promise<AppChild> {
  const port = opts.port ?? freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) if (!APP_VARS.test(k)) env[k] = v;
  Object.assign(env, {
    KV_PATH: opts.kvPath,
    PORT: String(port),
    HOSTNAME: "127.0.0.1",
    NO_COLOR: "1",
    ...opts.env,
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...opts.denoFlags ?? [], "main.ts"],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  let text = "";
  let listening: () => void;
  const ready = new Promise<void>((resolve) => listening = resolve);
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes("Messenger listening on")) listening();
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let status: Promise<Deno.CommandStatus> | null = null;
  const end = (signal: Deno.Signal) => {
    if (!status) {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
      status = Promise.all([child.status, drained]).then(([s]) => s);
    }
    return status;
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    child.status.then(() => "exited" as const),
    new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), 60_000)),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    await end("SIGKILL");
    throw new Error(`the app did not start (${outcome}):\n${text}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    output: () => text,
    kill: () => end("SIGKILL"),
    stop: () => end("SIGTERM"),
  };
}

/** Polls until `check` returns a truthy value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs: number,
  everyMs = 250,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
