import { checkWebhookUrl, type WebhookUrl } from "../../shared/config/webhook-url.js";

/** A webhook URL made as the settings make one: through the one check (a test's URL must pass it too). */
export function webhookUrl(value: string): WebhookUrl {
  const checked = checkWebhookUrl(value);
  if ("problem" in checked) throw new Error(`a test webhook URL was refused: ${checked.problem}`);
  return checked.url;
}
