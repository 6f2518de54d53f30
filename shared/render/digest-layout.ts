import type { Alert, Severity } from "../alerts/model.js";
import { adaptiveCard, headerBand, textBlock, type AdaptiveCard, type CardDetail, type CardElement, type CardTone, type TextBlock } from "./adaptive-card.js";
import { severityTone } from "./card-parts.js";
import { alertLabel, severityLabel } from "./format.js";
import type { EntryLines } from "./alert-kind.js";

/**
 * The shape of a digest card, whatever it lists: a header band, an optional
 * note under it, two lines per alert and an optional closing line. A cycle's
 * digest (digest-card.ts) and a silence summary (kinds/silence-summary.ts)
 * are both drawn with it.
 */

/** Digest entries are short: untrusted texts are cut harder than on single cards. */
export const DIGEST_DETAIL: CardDetail = { maxErrors: 1, maxTextChars: 100, maxIdChars: 120, maxListedIds: 5 };

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Firing before resolved, then critical → warning → info; otherwise input order. */
export function digestOrder(alerts: readonly Alert[]): Alert[] {
  const rank = (a: Alert): number => (a.status === "resolved" ? 10 : 0) + SEVERITY_RANK[a.severity];
  return alerts
    .map((alert, index) => ({ alert, index }))
    .sort((a, b) => rank(a.alert) - rank(b.alert) || a.index - b.index)
    .map(({ alert }) => alert);
}

export function digestTone(alerts: readonly Alert[]): { tone: CardTone; tag: string } {
  const firing = alerts.filter((a) => a.status !== "resolved");
  if (firing.length === 0) return { tone: "good", tag: "[RESOLVED]" };
  const worst = firing.reduce((w, a) => (SEVERITY_RANK[a.severity] < SEVERITY_RANK[w] ? a.severity : w), "info" as Severity);
  return { tone: severityTone(worst), tag: `[${severityLabel(worst)}]` };
}

/** The two card lines that stand for one alert in a digest: "CRITICAL · headline", then the details. */
export function digestEntryBlocks(alert: Alert, [headline, details]: EntryLines): CardElement[] {
  const tone = alert.status === "resolved" ? "good" : severityTone(alert.severity);
  return [
    textBlock(`${alertLabel(alert)} \u00B7 ${headline}`, {
      weight: "bolder",
      separator: true,
      spacing: "small",
      ...(tone === "default" ? {} : { color: tone }),
    }),
    textBlock(details, { isSubtle: true, spacing: "none" }),
  ];
}

/** What stands above the entries: the header band and an optional note under it. */
interface DigestBanner {
  tone: CardTone;
  title: string;
  subtitle: string;
  note?: TextBlock;
}

export function digestCard(parts: { banner: DigestBanner; entries: CardElement[]; closing?: string; fallbackText: string; portalUrl: string }): AdaptiveCard {
  const { banner } = parts;
  const body: CardElement[] = [headerBand(banner.tone, banner.title, banner.subtitle)];
  if (banner.note) body.push(banner.note);
  body.push(...parts.entries);
  if (parts.closing) body.push(textBlock(parts.closing, { isSubtle: true, separator: true, spacing: "small" }));
  return adaptiveCard({ fallbackText: parts.fallbackText, body, portalUrl: parts.portalUrl });
}
