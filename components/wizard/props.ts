import type { Errors } from "../../services/compose/errors.ts";
import type { Step } from "../../services/compose/forms.ts";
import type { LargeSend } from "../../services/compose/large_send.ts";
import type { StepExtras } from "../../services/compose/step_extras.ts";
import type { TestSendShown } from "../../services/compose/test_send.ts";
import type { Draft } from "../../services/store/drafts.ts";
import type { Calendar, User } from "../../services/model.ts";

/** Everything a step of the wizard is drawn from: the draft as typed, the refusals, and what the step shows. */
export interface WizardProps extends StepExtras {
  draft: Draft;
  step: Step;
  user: User;
  csrf: string;
  errors: Errors;
  calendars: Calendar[];
  timeZone: string;
  /** Send / Update of a large send, refused until the sender types the recipient count. */
  largeSend?: LargeSend;
  /** Send a test to me, on Content and Send Options. */
  testSend?: TestSendShown;
  /** What a button on the step did (Translate), said above the form. */
  notice?: string;
}
