/** Small labels and icons; every icon carries its name for screen readers. */
import {
  MESSAGE_TYPE_LABEL,
  type MessageType,
  type Mode,
  MODE_LABEL,
  RUN_STATUS_LABEL,
  type RunStatus,
} from "../services/model.ts";

const MODE_GLYPH: Record<Mode, string> = {
  inbox: "📥",
  email: "✉",
  text: "💬",
  voice: "📞",
};

export function Icon({ name, glyph }: { name: string; glyph: string }) {
  return <span class="icon" role="img" aria-label={name} title={name}>{glyph}</span>;
}

export function ModeIcons({ modes }: { modes: Mode[] }) {
  return (
    <span class="modes">
      {modes.map((m) => <Icon key={m} name={MODE_LABEL[m]} glyph={MODE_GLYPH[m]} />)}
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
  return <Icon name="Recurring" glyph="🔁" />;
}

export function AttachmentIcon() {
  return <Icon name="Attachment" glyph="📎" />;
}
