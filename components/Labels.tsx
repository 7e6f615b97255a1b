/** Small labels and icons; every icon carries its name for screen readers. */
import type { RunFacts } from "../services/store/deliveries.ts";
import { Fragment } from "preact";
import {
  DELIVERY_RESULTS,
  type DeliveryResult,
  MESSAGE_TYPE_LABEL,
  type MessageType,
  type Mode,
  MODE_LABEL,
  type ModeCounts,
  MODES,
  RUN_STATUS_LABEL,
  type RunStatus,
} from "../services/model.ts";

/** 16px line icons as SVG paths: no icon font or emoji font needed on old machines. */
const PATHS: Record<string, string> = {
  Inbox: "M2 9l2-6h8l2 6v4H2zM2 9h4l1 2h2l1-2h4",
  Email: "M2 4h12v8H2zM2 4l6 5 6-5",
  Text: "M2 3h12v8H7l-3 3v-3H2z",
  Voice: "M4 2l2 3-1.5 1.5a8 8 0 005 5L11 10l3 2-1 2.5C7 14.5 1.5 9 1.5 3z",
  Recurring: "M13 6a5 5 0 00-9-1M3 2v3h3M3 10a5 5 0 009 1M13 14v-3h-3",
  Attachment: "M10.5 4.5l-5 5a1.5 1.5 0 002 2l6-6a3 3 0 00-4-4l-6 6a4.5 4.5 0 006 6l4.5-4.5",
};

/** An icon named for screen readers, or `decorative` beside a word that already names it. */
export function Icon({ name, decorative = false }: { name: string; decorative?: boolean }) {
  const path = <path d={PATHS[name]} fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round" />;
  return decorative
    ? <svg class="icon" aria-hidden="true" viewBox="0 0 16 16" width="16" height="16">{path}</svg>
    : (
      <svg class="icon" role="img" aria-label={name} viewBox="0 0 16 16" width="16" height="16">
        <title>{name}</title>
        {path}
      </svg>
    );
}

/** Each mode as its icon and its word: at 16 px the Inbox tray and the Email envelope are easily taken for each other. */
export function ModeIcons({ modes }: { modes: Mode[] }) {
  return (
    <span class="modes">
      {MODES.filter((m) => modes.includes(m)).map((m) => (
        <span key={m} class="mode">
          <Icon name={MODE_LABEL[m]} decorative />
          {MODE_LABEL[m]}
        </span>
      ))}
    </span>
  );
}

export function TypeLabel({ type }: { type: MessageType }) {
  return <span class={`type type-${type}`}>{MESSAGE_TYPE_LABEL[type]}</span>;
}

export function StatusLabel({ status }: { status: RunStatus }) {
  return <span class={`status status-${status}`}>{RUN_STATUS_LABEL[status]}</span>;
}

export function RecurringIcon() {
  return <Icon name="Recurring" />;
}

export function AttachmentIcon() {
  return <Icon name="Attachment" />;
}

const RESULT_LABEL: Record<DeliveryResult, string> = {
  pending: "pending",
  sent: "sent",
  delivered: "delivered",
  failed: "failed",
  canceled: "canceled",
  redial: "redial pending",
};

/**
 * "Email: 3 pending, 117 delivered, 3 failed · Text: 40 delivered". Results in the order a delivery moves
 * (DELIVERY_RESULTS), modes in the order of MODES, so a line reads the same from one refresh to the next.
 * Each mode is one piece: a long line wraps between modes first.
 */
export function CountsLine(
  { counts, excluded = {}, facts }: {
    counts: Partial<Record<Mode, ModeCounts>>;
    excluded?: Partial<Record<Mode, { optedOut: number }>>;
    /** Inbox deliveries the families opened; emails they opened and emails that bounced (Mailgun's events). */
    facts?: RunFacts;
  },
) {
  const parts = MODES.filter((mode) => counts[mode]).map((mode) => {
    const c = counts[mode]!;
    const nonzero = DELIVERY_RESULTS.filter((r) => (c[r] ?? 0) > 0).map((r) => `${c[r]} ${RESULT_LABEL[r]}`);
    const optedOut = excluded[mode]?.optedOut ?? 0;
    if (mode === "inbox" && facts) nonzero.push(`${facts.read} read`);
    if (mode === "email" && facts?.bounced) nonzero.push(`${facts.bounced} bounced`);
    if (mode === "email" && facts?.opened) nonzero.push(`${facts.opened} opened`);
    if (optedOut) nonzero.push(`${optedOut} opted out`);
    return [mode, `${MODE_LABEL[mode]}: ${nonzero.join(", ") || "none"}`] as const;
  });
  return parts.length
    ? (
      <span class="counts-line">
        {/* The "·" ends the piece before it, so a wrapped line never starts, or stands, with it alone. */}
        {parts.map(([mode, text], i) => (
          <Fragment key={mode}>
            {i > 0 && " "}
            <span class="counts-mode">{i < parts.length - 1 ? `${text} ·` : text}</span>
          </Fragment>
        ))}
      </span>
    )
    : null;
}

/** A table's header row of column names; the `numeric` ones align right, over their numbers. */
export function ColumnHeads({ labels, numeric = [] }: { labels: string[]; numeric?: string[] }) {
  return (
    <thead>
      <tr>
        {labels.map((l) => <th key={l} scope="col" class={numeric.includes(l) ? "num" : undefined}>{l}</th>)}
      </tr>
    </thead>
  );
}

/** A message's marks beside its subject: its type, whether it repeats or carries attachments, and its modes. */
export function MessageMarks(
  { type, recurring, attachments, modes }: {
    type: MessageType;
    recurring: boolean;
    attachments: boolean;
    modes: Mode[];
  },
) {
  return (
    <div class="marks">
      <TypeLabel type={type} />
      {recurring && <RecurringIcon />}
      {attachments && <AttachmentIcon />}
      <ModeIcons modes={modes} />
    </div>
  );
}
