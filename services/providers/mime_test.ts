import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type ParsedMail, simpleParser } from "mailparser";
import MailComposer from "nodemailer/lib/mail-composer";
import { attachmentParts, composeEmail } from "./mime.ts";
import type { EmailOut } from "./types.ts";

/** What a mail client reads from a message: every field a family sees. */
function read(m: ParsedMail) {
  return {
    from: m.from?.value,
    to: m.to && !Array.isArray(m.to) ? m.to.value : m.to,
    subject: m.subject,
    messageId: m.messageId,
    date: m.date?.toISOString(),
    text: m.text,
    html: m.html,
    attachments: m.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content.toString("base64"),
    })),
  };
}

const DATE = new Date("2026-11-27T15:04:05Z");

async function both(from: string, mail: EmailOut) {
  const ours = composeEmail(from, mail, attachmentParts(mail.attachments), DATE);
  const theirs = await new MailComposer({
    from,
    to: mail.to,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    messageId: mail.messageId,
    date: DATE,
    attachments: mail.attachments.map((a) => ({ ...a, content: Buffer.from(a.content) })),
    // What nodemailer's `list: { unsubscribe }` writes, and RFC 8058's one-click field beside it.
    headers: mail.unsubscribeUrl
      ? {
        "List-Unsubscribe": `<${mail.unsubscribeUrl}>`,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      }
      : undefined,
  }).compile().build();
  // Byte for byte the same message, but for the random part of the boundaries.
  const boundaries = (raw: string) => raw.replaceAll(/--_NmP-[0-9a-f]{16}-Part_/g, "--_NmP-BOUNDARY-Part_");
  assert.equal(boundaries(ours.raw), boundaries(theirs.toString()));
  return { ours, mine: read(await simpleParser(ours.raw)), nodemailer: read(await simpleParser(theirs)) };
}

const plain: EmailOut = {
  to: "guardian1@family.example",
  subject: "Early release Friday",
  html: "<p>Dear Ana,</p><p>School lets out at 12:30.</p>",
  text: "Dear Ana,\nSchool lets out at 12:30.",
  messageId: "<run1.d1@messenger.demo>",
  attachments: [],
};

Deno.test("a plain message reads the same as nodemailer's own, with the envelope from the From address", async () => {
  const { ours, mine, nodemailer } = await both("Lincoln Elementary <office@lincoln.example>", plain);
  assert.deepEqual(mine, nodemailer);
  assert.deepEqual(ours.envelope, { from: "office@lincoln.example", to: ["guardian1@family.example"] });
  assert.match(ours.raw, /^Content-Type: multipart\/alternative;/m);
});

Deno.test("non-Latin text, long lines, a long subject and a non-ASCII sender name survive exactly", async () => {
  const { mine, nodemailer } = await both("École Lincoln — Bureau <office@lincoln.example>", {
    ...plain,
    subject: "Cierre anticipado el viernes — información para las familias de la escuela primaria Lincoln",
    html: `<p>Kính gửi phụ huynh ${"Trường học đóng cửa sớm. ".repeat(20)}</p>\n<p>${"x".repeat(1200)}</p>`,
    text: `Waalidiinta qaaliga ah,\r\n${"مدرسة لينكولن تغلق مبكرا ".repeat(30)}\n. a line starting with a dot\n`,
  });
  assert.deepEqual(mine, nodemailer);
  assert.match(mine.text!, /مدرسة لينكولن/);
});

Deno.test("attachments are encoded once per message and read back byte for byte", async () => {
  const pdf = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
  const mail = {
    ...plain,
    attachments: [
      { filename: "Calendrier d'été.pdf", contentType: "application/pdf", content: pdf },
      { filename: "notes.txt", contentType: "text/plain", content: new TextEncoder().encode("bring a coat\n") },
    ],
  };
  const { ours, mine, nodemailer } = await both("office@lincoln.example", mail);
  assert.deepEqual(mine, nodemailer);
  assert.equal(mine.attachments[0].content, Buffer.from(pdf).toString("base64"));
  // The same encoded parts serve every recipient.
  const parts = attachmentParts(mail.attachments);
  const second = composeEmail("office@lincoln.example", { ...mail, to: "guardian2@family.example" }, parts);
  assert.ok(second.raw.includes(parts[0]) && ours.raw.includes(parts[0]));
});

Deno.test("a General email's unsubscribe link: List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), as nodemailer writes them", async () => {
  const url = "https://messenger.example.org/unsubscribe/a%20rather-long-roster-sourced-id-0001/email/" +
    "Q".repeat(43);
  const { ours } = await both("office@lincoln.example", { ...plain, unsubscribeUrl: url });
  const headers = ours.raw.slice(0, ours.raw.indexOf("\r\n\r\n"));
  // A long link is folded before it, never inside it.
  assert.ok(headers.replaceAll("\r\n ", " ").includes(`List-Unsubscribe: <${url}>`));
  assert.match(headers, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
  const parsed = await simpleParser(ours.raw);
  assert.deepEqual(parsed.headers.get("list"), {
    unsubscribe: { url },
    "unsubscribe-post": { name: "List-Unsubscribe=One-Click" },
  });
  // Priority and Emergency: neither.
  assert.doesNotMatch(composeEmail("office@lincoln.example", plain, []).raw, /^List-/im);
});
