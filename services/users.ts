/** Staff accounts and their tool rights, as administrators manage them. Every change is audited. */
import { z } from "zod";
import { hashPassword } from "./auth.ts";
import { MESSAGE_TYPES, MODES, RECIPIENT_TYPES, type ToolRights, type User } from "./model.ts";
import { MIN_PASSWORD } from "./setup.ts";
import { type Db, newId } from "./store/kv.ts";
import { addAdminAudit } from "./store/admin_audit.ts";
import { getPerson } from "./store/people.ts";
import { createUser, getUser, getUserByLogin, updateUser } from "./store/users.ts";

const list = (values: readonly string[], label: string) =>
  z.preprocess(
    (v) => (v === undefined || v === "" ? [] : Array.isArray(v) ? v : [v]),
    z.array(z.string().refine((x) => values.includes(x), `is not a ${label}`)),
  );
const bool = z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean());

export const UserForm = z.object({
  name: z.string().trim().min(1, "Enter a name").max(100, "at most 100 characters"),
  title: z.string().trim().max(100, "at most 100 characters").default(""),
  modes: list(MODES, "delivery mode"),
  messageTypes: list(MESSAGE_TYPES, "message type"),
  recipientTypes: list(RECIPIENT_TYPES, "recipient type"),
  viewEditAll: bool,
  outsideQuietHours: bool,
  admin: bool,
  allCalendars: bool,
  calendars: z.preprocess(
    (v) => (v === undefined || v === "" ? [] : Array.isArray(v) ? v : [v]),
    z.array(z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, "is not a calendar id")),
  ),
  disabled: bool,
  /** The roster staff record to link; "" for none. */
  personId: z.string().trim().max(64, "at most 64 characters").default(""),
});
export type UserForm = z.infer<typeof UserForm>;

export const NewUserForm = UserForm.extend({
  login: z.string().trim().regex(/^[a-z0-9._-]{2,40}$/i, "2 to 40 letters, digits, dots, dashes or underscores"),
  password: z.string().min(MIN_PASSWORD, `at least ${MIN_PASSWORD} characters`).max(200, "at most 200 characters"),
});

export const PasswordForm = z.object({
  password: z.string().min(MIN_PASSWORD, `at least ${MIN_PASSWORD} characters`).max(200, "at most 200 characters"),
});

function rightsOf(f: UserForm): ToolRights {
  return {
    modes: f.modes as ToolRights["modes"],
    messageTypes: f.messageTypes as ToolRights["messageTypes"],
    recipientTypes: f.recipientTypes as ToolRights["recipientTypes"],
    viewEditAll: f.viewEditAll,
    outsideQuietHours: f.outsideQuietHours,
    admin: f.admin,
    calendars: f.allCalendars ? "all" : f.calendars,
  };
}

/** Rights that let a user neither send (a mode, a type, recipients and a calendar), oversee others' messages, nor administer. */
export function mayDoNothing(r: ToolRights): boolean {
  const calendars = r.calendars === "all" || r.calendars.length > 0;
  const send = r.modes.length > 0 && r.messageTypes.length > 0 && r.recipientTypes.length > 0 && calendars;
  return !send && !(r.viewEditAll && calendars) && !r.admin;
}

/**
 * Why a user cannot be linked to roster record `personId`, or null when it
 * can ("" is no link): it must be a staff member still on the roster.
 */
export async function staffRecordProblem(db: Db, personId: string): Promise<string | null> {
  if (!personId) return null;
  const person = await getPerson(db, personId);
  return person && person.value.kind === "staff" && !person.value.removedAt
    ? null
    : `no staff member with id ${personId}`;
}

async function audit(db: Db, by: User, action: string, target: User) {
  await addAdminAudit(db, Date.now(), { by: by.name, action, user: target.login });
}

async function auditLink(db: Db, by: User, before: string | undefined, user: User) {
  if (before === user.personId) return;
  if (before) await audit(db, by, `unlinked roster staff record ${before} from`, user);
  if (user.personId) await audit(db, by, `linked roster staff record ${user.personId} to`, user);
}

export async function addUser(db: Db, by: User, f: z.infer<typeof NewUserForm>): Promise<User | "taken"> {
  if (await getUserByLogin(db, f.login)) return "taken";
  const user: User = {
    id: `usr-${newId().toLowerCase()}`,
    login: f.login,
    name: f.name,
    title: f.title,
    passwordHash: await hashPassword(f.password),
    sessionEpoch: 0,
    rights: rightsOf(f),
    disabled: f.disabled,
    ...(f.personId ? { personId: f.personId } : {}),
  };
  await createUser(db, user);
  await audit(db, by, "created", user);
  await auditLink(db, by, undefined, user);
  return user;
}

/** Changes apply on the user's next request: sessions read the user afresh each time. */
export async function changeUser(db: Db, by: User, id: string, f: UserForm): Promise<User | null> {
  const current = await getUser(db, id);
  if (!current) return null;
  const { personId: _, ...rest } = current.value;
  const rights = rightsOf(f);
  const next: User = {
    ...rest,
    name: f.name,
    title: f.title,
    rights,
    disabled: f.disabled,
    // Disabled users are refused on every request anyway; a user left with no rights is signed out too.
    sessionEpoch: rest.sessionEpoch + (mayDoNothing(rights) && !mayDoNothing(rest.rights) ? 1 : 0),
    ...(f.personId ? { personId: f.personId } : {}),
  };
  await updateUser(db, current, next);
  await audit(db, by, f.disabled && !current.value.disabled ? "disabled" : "changed rights of", next);
  await auditLink(db, by, current.value.personId, next);
  return next;
}

export async function resetPassword(db: Db, by: User, id: string, password: string): Promise<boolean> {
  const current = await getUser(db, id);
  if (!current) return false;
  // Whoever knew the old password may hold a session: a reset ends them all.
  const sessionEpoch = current.value.sessionEpoch + 1;
  await updateUser(db, current, { ...current.value, passwordHash: await hashPassword(password), sessionEpoch });
  await audit(db, by, "reset the password of", current.value);
  return true;
}
