import type { Alert, AlertBase, RenderContext } from "../alerts/model.js";
import type { AdaptiveCard, CardDetail, CardElement } from "./adaptive-card.js";
import type { EmailDigestEntry, EmailDocument } from "./email-document.js";

/**
 * Everything the rest of render/ needs to draw one kind of alert. Each kind is
 * one module in render/kinds/ exporting one of these, and render/kinds/index.ts
 * maps every alert kind to its module: a new kind is a new module and one line
 * there (the map's type makes a missing kind a compile error), never a switch.
 */
export interface AlertKindView<A extends AlertBase> {
  /** How a digest counts alerts of this kind ("3 job alerts"); kinds with the same noun are counted together. */
  noun: readonly [one: string, many: string];
  /** The one-line preview: "[CRITICAL] Backup job failed: Exchange Online (IB…) — Contoso". Plain text. */
  summary(alert: A, ctx: RenderContext, held: HeldAlerts): string;
  /** The alert's own card (Teams Workflows; the bot raises it to its 1.5 variant), at the given detail. */
  card(alert: A, ctx: RenderContext, detail: CardDetail, held: HeldAlerts): AdaptiveCard;
  /** Headline and one line of details in a digest card, escaped for card markdown (the digest adds label and tone). */
  digestEntry(alert: A, held: HeldAlerts): EntryLines;
  /** What the alert's own email says. */
  email(alert: A, ctx: RenderContext, detail: CardDetail, held: HeldAlerts): EmailDocument;
  /** Headline and one line of details in a digest email (plain text). */
  emailDigestEntry(alert: A, detail: CardDetail, held: HeldAlerts): EntryLines;
}

/** A digest entry's two lines: [headline, details]. */
export type EntryLines = readonly [headline: string, details: string];

/**
 * How alerts held inside another alert (a silence summary lists the alerts it
 * held back) are drawn: each by its own kind. Handed in by the registry's
 * caller, so a kind module never imports the registry (no import circle).
 */
export interface HeldAlerts {
  summary(alert: Alert, ctx: RenderContext): string;
  digestEntry(alert: Alert): CardElement[];
  emailDigestEntry(alert: Alert, detail: CardDetail): EmailDigestEntry;
  /** "3 job alerts, 1 license notice". */
  breakdown(alerts: readonly Alert[]): string;
}
