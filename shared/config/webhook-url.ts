import { Secret } from "../security/secret.js";
import { isAllowedUrl } from "./environment.js";

declare const checked: unique symbol;
/**
 * A Teams Workflows webhook URL that passed describeWebhookUrlProblem: made
 * only by checkWebhookUrl, so what takes one (the routing, the channel) does
 * not check it again.
 */
export type WebhookUrl = Secret & { readonly [checked]: true };

/** The value as a WebhookUrl, or the problem with it (which never quotes the value). */
export function checkWebhookUrl(value: string): { url: WebhookUrl } | { problem: string } {
  const problem = describeWebhookUrlProblem(value);
  return problem === undefined ? { url: new Secret(value) as WebhookUrl } : { problem };
}

/**
 * Workflows webhook URLs carry their own credential, so nothing of the URL is
 * echoed. Legacy Office 365 connector URLs are refused: they no longer deliver.
 */
function describeWebhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL (the value is not shown: it is a credential)";
  }
  const host = url.hostname.toLowerCase();
  if (host.endsWith(".webhook.office.com") || host === "webhook.office.com" || (host === "outlook.office.com" && url.pathname.toLowerCase().startsWith("/webhook"))) {
    return "is a legacy Office 365 connector URL, which Microsoft retired: it no longer delivers. In Teams, open the channel's ... menu > Workflows > \"Post to a channel when a webhook request is received\", and use the URL that workflow gives";
  }
  if (!isAllowedUrl(value)) return "must be an https URL (plain http only to 127.0.0.1, localhost or [::1])";
  return undefined;
}
