import type { Alert, RenderContext } from "../alerts/model.js";
import { textBlock, type AdaptiveCard } from "./adaptive-card.js";
import { digestCard, digestTone } from "./digest-layout.js";
import { escapeApiText } from "./escape.js";
import { digestWhenText, formatNumber, plural, summaryLine, TENANT_CHARS } from "./format.js";
import { digestBreakdown, digestEntry } from "./kinds/index.js";

/**
 * When one cycle finds many alerts, a digest lists every one of them in a
 * compact two-line entry instead of posting one card each (a channel flooded
 * with fifty cards is read by nobody). Large digests continue in further
 * posts, "part 2 of 3"; see `buildWorkflowsMessages`.
 */

/** Position of one digest post among all posts of the same digest (1-based). */
export interface DigestPart {
  index: number;
  count: number;
  /** 1-based position of this part's first alert in the whole digest. */
  firstAlert: number;
  /** Number of alerts in the whole digest. */
  totalAlerts: number;
}

function digestTitle(part: DigestPart): string {
  const title = plural(part.totalAlerts, "backup alert");
  return part.count > 1 ? `${title} (part ${part.index} of ${part.count})` : title;
}

/** "57 job alerts, 2 recoveries", or "this post: 43 job alerts" when the digest is split. */
function partBreakdown(alerts: readonly Alert[], part: DigestPart): string {
  return part.count > 1 ? `this post: ${digestBreakdown(alerts)}` : digestBreakdown(alerts);
}

export function digestSummary(alerts: readonly Alert[], ctx: RenderContext, part: DigestPart): string {
  return summaryLine({ tag: digestTone(alerts).tag, headline: `${digestTitle(part)}: ${partBreakdown(alerts, part)}`, tenant: ctx.tenantName });
}

/**
 * One digest post. `alerts` are this part's alerts in display order (see
 * `digestOrder`); the tenant is the deployment's label (a digest may mix
 * alerts of one deployment only).
 */
export function renderDigestCard(alerts: readonly Alert[], ctx: RenderContext, part: DigestPart): AdaptiveCard {
  const last = part.firstAlert + alerts.length - 1;
  const note =
    part.count > 1
      ? textBlock(`This post lists alerts ${formatNumber(part.firstAlert)}\u2013${formatNumber(last)} of ${formatNumber(part.totalAlerts)}.`, { isSubtle: true, spacing: "small" })
      : undefined;
  return digestCard({
    banner: {
      tone: digestTone(alerts).tone,
      title: digestTitle(part),
      subtitle: `${escapeApiText(ctx.tenantName, TENANT_CHARS)} \u00B7 ${partBreakdown(alerts, part)} \u00B7 ${digestWhenText(alerts)}`,
      ...(note ? { note } : {}),
    },
    entries: alerts.flatMap((alert) => digestEntry(alert)),
    fallbackText: digestSummary(alerts, ctx, part),
    portalUrl: ctx.portalUrl,
  });
}
