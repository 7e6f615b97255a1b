/**
 * The demo's bad contacts: failures as dispatch would have noted them over
 * the last weeks (the demo's runs are illustrations without deliveries),
 * among them the texts refused for the demo families who replied STOP, so
 * the Bad contacts report has something to show on a fresh install.
 */
import { noteBadContacts } from "../bad_contacts.ts";
import type { Device, Mode, Person } from "../model.ts";
import type { Delivery } from "../store/deliveries.ts";
import type { Db } from "../store/kv.ts";
import { listSchools } from "../store/district.ts";
import { eachPersonInSchool, getPeople } from "../store/people.ts";

interface DemoFailure {
  personId: string;
  mode: Mode;
  code: string;
  error: string;
  daysAgo: number[];
  /** An address the person had then; the roster has another now, so the report shows it fixed. */
  address?: string;
}

const DAY = 86_400_000;
const NO_SUCH_USER = "550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table";

const FAILURES: DemoFailure[] = [
  { personId: "gdn4", mode: "email", code: "550", error: NO_SUCH_USER, daysAgo: [9, 2] },
  { personId: "gdn2", mode: "text", code: "21614", error: "'To' number is not a valid mobile number", daysAgo: [6] },
  { personId: "gdn142", mode: "text", code: "30003", error: "undelivered", daysAgo: [15, 8, 3] },
  // Unreachable once: a phone switched off for the day, not on the report.
  { personId: "gdn144", mode: "text", code: "30003", error: "undelivered", daysAgo: [4] },
  { personId: "gdn275", mode: "voice", code: "21211", error: "Invalid 'To' Phone Number", daysAgo: [12, 1] },
  { personId: "gdn275", mode: "text", code: "21211", error: "Invalid 'To' Phone Number", daysAgo: [12, 1] },
  {
    personId: "gdn276",
    mode: "email",
    code: "550",
    error: "bounced: the receiving mail server refused it (550 5.1.1 The email account does not exist)",
    daysAgo: [5],
  },
  {
    personId: "gdn1",
    mode: "email",
    code: "550",
    error: NO_SUCH_USER,
    daysAgo: [20],
    address: "kai.clark@oldmail.example",
  },
];

export async function seedDemoBadContacts(db: Db, now: number): Promise<void> {
  const people = await getPeople(db, FAILURES.map((f) => f.personId));
  const failed = (person: Person, device: Device, f: Omit<DemoFailure, "personId">) =>
    f.daysAgo.map((days, i): Delivery => {
      const address = f.address ?? device.address;
      return {
        id: `${person.id}~~${device.id}~${f.mode}${i}`,
        runId: "",
        mode: f.mode,
        personId: person.id,
        name: `${person.firstName} ${person.lastName}`,
        as: person.kind === "guardian" ? "guardians" : "individuals",
        studentIds: person.studentIds,
        deviceId: device.id,
        address,
        state: "failed",
        attempts: 1,
        errorCode: f.code,
        error: f.error.replace("{address}", address),
        updatedAt: now - days * DAY - i * 3_600_000,
        history: [],
      };
    });
  const deliveries = FAILURES.flatMap((f) => {
    const person = people.get(f.personId);
    const device = person?.devices.find((d) =>
      f.mode === "email" ? d.kind === "email" : d.kind === "phone" && (f.mode !== "text" || d.text)
    );
    return person && device ? failed(person, device, f) : [];
  });
  // The families who replied STOP: Twilio refused the next text to them (21610).
  const seen = new Set<string>();
  for (const school of await listSchools(db)) {
    for await (const p of eachPersonInSchool(db, school.id, "guardian")) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      for (const d of p.devices.filter((d) => d.textOptOutAt)) {
        const daysAgo = [(now - Date.parse(d.textOptOutAt!)) / DAY];
        deliveries.push(
          ...failed(p, d, { mode: "text", code: "21610", error: "Attempt to send to unsubscribed recipient", daysAgo }),
        );
      }
    }
  }
  await noteBadContacts(db, deliveries, now);
}
