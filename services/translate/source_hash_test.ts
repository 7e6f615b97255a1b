import assert from "node:assert/strict";
import { isStale, sourceHash } from "./source_hash.ts";

const content = {
  subject: " Science fair ",
  emailHtml: "<p>Dear <b>{{recipient.firstName}}</b></p><script>x()</script>",
  emailText: "",
  text: "Fair Friday\r\nbring a lunch",
  voice: "",
  inbox: "",
};

Deno.test("source hash: the draft as typed and the message it becomes hash alike", () => {
  const saved = {
    subject: "Science fair",
    emailHtml: "<p>Dear <strong>{{recipient.firstName}}</strong></p>",
    emailText: "Dear {{recipient.firstName}}",
    text: "Fair Friday\nbring a lunch",
    voice: "",
    inbox: "",
  };
  assert.equal(sourceHash(content), sourceHash(saved));
  assert.equal(isStale({ sourceHash: sourceHash(content) }, saved), false);
});

Deno.test("source hash: any change of the content, in any mode, makes a translation stale", () => {
  const made = { sourceHash: sourceHash(content) };
  for (
    const change of [
      { subject: "Science fair!" },
      { text: "Fair Saturday" },
      { voice: "Hello" },
      {
        emailHtml: "<p>Dear parent</p>",
      },
      { emailText: "Typed plain part" },
      { inbox: "x" },
    ]
  ) {
    assert.equal(isStale(made, { ...content, ...change }), true, JSON.stringify(change));
  }
});
