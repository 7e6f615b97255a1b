import type { Db } from "../../services/store/kv.ts";
/** Small builders for unit tests that do not need the whole demo district. */
import type { Message, Run, User } from "../../services/model.ts";
import { summarize } from "../../services/store/messages.ts";

export function userFixture(id: string, extra: Partial<User["rights"]> = {}): User {
  return {
    id,
    login: id,
    name: `User ${id}`,
    title: "",
    passwordHash: "x",
    sessionEpoch: 0,
    disabled: false,
    rights: {
      modes: ["email"],
      messageTypes: ["general"],
      recipientTypes: ["guardians"],
      viewEditAll: false,
      calendars: "all",
      admin: false,
      outsideQuietHours: false,
      ...extra,
    },
  };
}

export function messageFixture(id: string, extra: Partial<Message> = {}): Message {
  return {
    id,
    type: "general",
    subject: `Subject ${id}`,
    modes: ["email"],
    content: { emailHtml: "", emailText: "hi", text: "", voice: "", inbox: "" },
    attachments: [],
    calendarId: "cal1",
    recipients: { types: ["guardians"], grades: [], personIds: [], oneCopyPerGuardian: true },
    schedule: { kind: "once", date: "2026-12-01", times: { email: "07:00" } },
    created: { userId: "u1", name: "User u1", at: "2026-11-01T00:00:00Z" },
    nextAt: Date.parse("2026-12-01T13:00:00Z"),
    ...extra,
  };
}

export function runFixture(id: string, message: Message, extra: Partial<Run> = {}): Run {
  return {
    id,
    messageId: message.id,
    occurrenceDate: "2026-11-26",
    message: summarize(message),
    status: "processing",
    counts: {},
    transitions: [{ status: "processing", at: Date.parse("2026-11-26T16:00:00Z") }],
    startedAt: Date.parse("2026-11-26T16:00:00Z"),
    ...extra,
  };
}

export const audit = (action = "created") => ({ at: 1, userId: "u1", name: "User u1", action, changes: [] });

/** Runs `fn` on an empty in-memory KV as district "d1". */
export async function withDb(fn: (db: Db) => Promise<void>) {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn({ kv, districtId: "d1" });
  } finally {
    kv.close();
  }
}
