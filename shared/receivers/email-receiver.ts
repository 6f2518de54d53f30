import { isEmailAddress } from "../config/email.js";
import { isEmailMessage, type EmailMessage } from "../render/email.js";
import { ChannelConfigError, DeliveryError } from "./channel.js";

/** What both email channels (Graph, SMTP) check the same way. */

/** EMAIL_TO as an email channel takes it: at least one address, every one an address. */
export function checkRecipients(name: string, recipients: readonly string[]): void {
  const label = `Email receiver "${name}"`;
  if (recipients.length === 0) throw new ChannelConfigError(name, `${label}: no recipients (EMAIL_TO)`);
  const bad = recipients.find((r) => !isEmailAddress(r));
  if (bad !== undefined) throw new ChannelConfigError(name, `${label}: "${bad}" is not an email address (EMAIL_TO)`);
}

/** The payload as an email; anything else is a bug upstream, never retried. */
export function emailMessageOf(name: string, payload: object): EmailMessage {
  if (!isEmailMessage(payload)) {
    throw new DeliveryError(`Email receiver "${name}": the payload is not an email message (subject, html, text); this is a bug in the outbox`, {
      receiver: name,
      retryable: false,
      attempts: 0,
    });
  }
  return payload;
}
