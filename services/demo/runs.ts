/**
 * The demo's runs on In Progress: one in each status a run can be in while
 * it is there (Processing, Sending, Canceling, Failed), so a new install
 * shows every state of a run's life.
 */
import type { DeliveryResult, Mode, Run } from "../model.ts";

export interface DemoRun {
  id: string;
  messageId: string;
  status: "processing" | "sending" | "canceling" | "failed";
  startedMinutesAgo: number;
  counts?: Partial<Record<Mode, Partial<Record<DeliveryResult, number>>>>;
  error?: Run["error"];
}

export const DEMO_RUNS: DemoRun[] = [
  {
    id: "R7K3Q9XD2M4P",
    messageId: "msg-bus-delay",
    status: "sending",
    startedMinutesAgo: 6,
    counts: {
      text: { pending: 4, sent: 11, delivered: 31, failed: 2 },
      voice: { pending: 9, sent: 18, delivered: 14, failed: 1, redial: 5 },
    },
  },
  { id: "R2F8W1NB6T0H", messageId: "msg-picture-day", status: "processing", startedMinutesAgo: 1 },
  {
    id: "R5J0Z3KC8V1Q",
    messageId: "msg-spelling",
    status: "canceling",
    startedMinutesAgo: 4,
    counts: { email: { sent: 12, delivered: 20, canceled: 9 } },
  },
  {
    id: "R9M4T6HA3E7S",
    messageId: "msg-gym",
    status: "failed",
    startedMinutesAgo: 3 * 24 * 60,
    error: {
      reason: "The message uses the merge field {{student.homeroom}}, which Messenger does not know. " +
        "Edit the message to remove it or use {{student.grade}}, then send it again.",
      stage: "Processing: rendering merge fields",
      detail: "MergeFieldError: unknown field student.homeroom in email body",
    },
  },
  {
    id: "R1C6P2YG9K5D",
    messageId: "msg-old-failure",
    status: "failed",
    startedMinutesAgo: 10 * 24 * 60,
    error: {
      reason: "The calendar was deleted before the message was processed.",
      stage: "Processing: resolving recipients",
      detail: "NotFoundError: calendar lincoln-old",
    },
  },
];
