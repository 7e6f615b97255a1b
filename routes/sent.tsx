/** The Sent list (finished runs with their counts) and, for administrators, the dev outbox. */
import { Hono } from "hono";
import { z } from "zod";
import { CountsLine } from "../components/Labels.tsx";
import { ModeIcons, StatusLabel, TypeLabel } from "../components/Labels.tsx";
import { Run } from "../services/model.ts";
import { listOutbox } from "../services/providers/outbox.ts";
import { maySeeMessage } from "../services/rights.ts";
import { listPage } from "../services/store/kv.ts";
import { doneIndex } from "../services/store/runs.ts";
import { formatInstant } from "../services/time.ts";
import { type AppEnv, currentUser } from "./env.ts";
import { fieldErrors, page, problem } from "./render.tsx";

const SentQuery = z.object({
  scope: z.enum(["mine", "all"], { error: "must be mine or all" }).default("mine"),
  cursor: z.string().max(500, "is too long").regex(/^[0-9A-Za-z_-]*$/, "is not a page cursor").default(""),
});

export const sentRoutes = new Hono<AppEnv>()
  .get("/sent", async (c) => {
    const user = currentUser(c);
    const parsed = SentQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error.issues);
      return problem(c, 400, "Sent messages", Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join("; "));
    }
    const scope = parsed.data.scope === "all" && user.rights.viewEditAll ? "all" : "mine";
    const { db } = c.var.deps;
    const prefix = scope === "all" ? doneIndex.all(db) : doneIndex.byCreator(db, user.id);
    let result;
    try {
      result = await listPage(db, prefix, Run, {
        limit: 50,
        cursor: parsed.data.cursor,
        reverse: true,
        filter: (r) => maySeeMessage(user, r.message),
      });
    } catch (e) {
      if (!(parsed.data.cursor && e instanceof TypeError)) throw e;
      return problem(c, 400, "Sent messages", "That page link is out of date: start again from the first page.");
    }
    const tz = c.var.district.timeZone;
    return page(
      c,
      "Sent messages",
      <section>
        <h1>Sent messages</h1>
        <p class="hint">Completed runs, and runs canceled while sending, with who received them.</p>
        <nav class="scopes" aria-label="Whose messages">
          <a href="/sent?scope=mine" aria-current={scope === "mine" ? "page" : undefined}>My Messages</a>
          {user.rights.viewEditAll && (
            <a href="/sent?scope=all" aria-current={scope === "all" ? "page" : undefined}>All Messages</a>
          )}
        </nav>
        {result.items.length === 0 ? <p class="empty">Nothing sent yet.</p> : (
          <ul class="entries">
            {result.items.map((r) => (
              <li class="entry" key={r.id}>
                <div class="entry-main">
                  <h3 class="subject">{r.message.subject}</h3>
                  <div class="marks">
                    <TypeLabel type={r.message.type} />
                    <ModeIcons modes={r.message.modes} />
                  </div>
                  <CountsLine counts={r.counts} />
                </div>
                <div class="entry-meta">
                  <span>{`Sent ${formatInstant(r.transitions.at(-1)?.at ?? r.startedAt, tz)}`}</span>
                  <span>{`Created By ${r.message.created.name}`}</span>
                  <StatusLabel status={r.status} />
                  <a class="button" href={`/runs/${r.id}`} aria-label={`View Details: ${r.message.subject}`}>
                    View Details
                  </a>
                </div>
              </li>
            ))}
          </ul>
        )}
        {result.next && (
          <nav class="pager">
            <a href={`/sent?scope=${scope}&cursor=${result.next}`} rel="next">Next page</a>
          </nav>
        )}
      </section>,
    );
  })
  .get("/outbox", async (c) => {
    if (!currentUser(c).rights.admin) {
      return problem(c, 403, "Outbox", "Only administrators can read the outbox.");
    }
    const cursor = c.req.query("cursor") ?? "";
    if (!/^[0-9A-Za-z_-]{0,500}$/.test(cursor)) return problem(c, 400, "Outbox", "cursor: is not a page cursor");
    const names = c.var.deps.providerNames;
    const entries = await listOutbox(c.var.deps.db, cursor || undefined);
    const tz = c.var.district.timeZone;
    return page(
      c,
      "Outbox",
      <section>
        <h1>Outbox</h1>
        <p>
          {`With no SMTP or Twilio configured, Messenger records here what it would have sent (kept 7 days). ` +
            `Email: ${names.email}; texts: ${names.sms}; calls: ${names.voice}.`}
        </p>
        {entries.items.length === 0 ? <p class="empty">The outbox is empty.</p> : (
          <table class="counts outbox">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col">To</th>
                <th scope="col">Subject / text</th>
              </tr>
            </thead>
            <tbody>
              {entries.items.map((e) => (
                <tr key={e.id}>
                  <td>{formatInstant(e.at, tz)}</td>
                  <td>{e.kind}</td>
                  <td>{e.to}</td>
                  <td>
                    {e.subject && <strong>{e.subject}</strong>}
                    <div class="content">{e.body}</div>
                    {e.attachments.length > 0 && <div class="hint">{`Attachments: ${e.attachments.join(", ")}`}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {entries.next && (
          <nav class="pager">
            <a href={`/outbox?cursor=${entries.next}`} rel="next">Older</a>
          </nav>
        )}
      </section>,
    );
  });
