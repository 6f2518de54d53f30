import type { RenderContext, SilenceSummaryAlert } from "../alerts/model.js";
import { adaptiveCard, FULL_DETAIL, headerBand, textBlock, type AdaptiveCard, type CardDetail, type CardElement } from "./adaptive-card.js";
import { digestBreakdown, digestEntry } from "./digest-card.js";
import { escapeApiText, escapeMarkdown } from "./escape.js";
import { formatNumber, formatUtc, plural, tenantLabel } from "./format.js";
import { SILENCE_SUMMARY_LEAD, silenceSummaryAlertSummary, silenceSummaryTitle } from "./silence-summary-text.js";

/**
 * The summary sent after a silence window ends (routing/silence-summary.ts):
 * "While silenced (sunday-maintenance, Sun 29 Nov 02:00–06:00 Europe/Berlin):
 * 4 alerts", then each held-back alert as a digest entry. Its texts, shared
 * with the email rendering (email-document.ts), are in silence-summary-text.ts.
 */

/** Held-back alerts listed on one card at full detail; smaller shrink steps list fewer (the rest are counted). */
const LISTED_AT_FULL_DETAIL = 25;

/** "3 job alerts, 1 license notice", plus "(50 listed)" when the list was cut. */
export function silenceSummaryBreakdown(alert: SilenceSummaryAlert): string {
  const breakdown = digestBreakdown(alert.alerts);
  return alert.total > alert.alerts.length ? `${breakdown} listed of ${formatNumber(alert.total)}` : breakdown;
}

export function renderSilenceSummaryCard(alert: SilenceSummaryAlert, ctx: RenderContext, detail: CardDetail = FULL_DETAIL): AdaptiveCard {
  const tenant = escapeApiText(tenantLabel(alert, ctx), 80);
  const subtitle = `${tenant} \u00B7 INFO \u00B7 ${silenceSummaryBreakdown(alert)} \u00B7 sent ${formatUtc(alert.detectedAt)}`;
  // Fewer entries at each shrink step, in proportion to the step's listed ids (20, 10, 5, 3).
  const listed = Math.max(1, Math.floor((LISTED_AT_FULL_DETAIL * detail.maxListedIds) / FULL_DETAIL.maxListedIds));
  const shown = alert.alerts.slice(0, listed);
  const body: CardElement[] = [
    headerBand("default", escapeMarkdown(silenceSummaryTitle(alert)), subtitle),
    textBlock(SILENCE_SUMMARY_LEAD, { spacing: "medium" }),
  ];
  for (const held of shown) body.push(...digestEntry(held));
  const more = alert.total - shown.length;
  if (more > 0) body.push(textBlock(`\u2026and ${plural(more, "more alert")} not listed here.`, { isSubtle: true, separator: true, spacing: "small" }));
  return adaptiveCard({ fallbackText: silenceSummaryAlertSummary(alert, ctx), body, portalUrl: ctx.portalUrl });
}
