import assert from "node:assert/strict";
import { userFixture } from "../tests/support/fixtures.ts";
import { maySeeMessage, mayUseCalendar } from "./rights.ts";

const own = { created: { userId: "u1", name: "U", at: "" }, calendarId: "c1" };
const others = { created: { userId: "u2", name: "V", at: "" }, calendarId: "c1" };

Deno.test("rights: own messages always; others' only with View/Edit All and the calendar", () => {
  const plain = userFixture("u1");
  assert.equal(maySeeMessage(plain, own), true);
  assert.equal(maySeeMessage(plain, others), false);
  assert.equal(maySeeMessage(userFixture("u1", { viewEditAll: true }), others), true);
  const limited = userFixture("u1", { viewEditAll: true, calendars: ["c2"] });
  assert.equal(maySeeMessage(limited, others), false);
  assert.equal(maySeeMessage(limited, own), true, "a user keeps their own even if calendar rights change");
  assert.equal(mayUseCalendar(limited, "c2"), true);
  assert.equal(mayUseCalendar(limited, "c1"), false);
  assert.equal(mayUseCalendar(userFixture("u1", { calendars: "all" }), "anything"), true);
});
