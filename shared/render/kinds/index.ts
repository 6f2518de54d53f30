import type { Alert, AlertKind, RenderContext } from "../../alerts/model.js";
import { FULL_DETAIL, type AdaptiveCard, type CardDetail, type CardElement } from "../adaptive-card.js";
import type { AlertKindView, HeldAlerts } from "../alert-kind.js";
import { digestEntryBlocks } from "../digest-layout.js";
import { EMAIL_DETAIL, emailTone, type EmailDigestEntry, type EmailDocument } from "../email-document.js";
import { alertLabel, plural } from "../format.js";
import { failureRatio } from "./failure-ratio.js";
import { jobRecovery } from "./job-recovery.js";
import { job } from "./job.js";
import { license } from "./license.js";
import { missedBackup } from "./missed-backup.js";
import { monitoring } from "./monitoring.js";
import { silenceSummary } from "./silence-summary.js";
import { stuckJob } from "./stuck-job.js";
import { unusualActivity } from "./unusual-activity.js";

/**
 * Which module draws which kind of alert, and the functions that draw an
 * alert of any kind through it. The map's type names every kind of the Alert
 * union, so a kind without a module does not compile. Its order is the order
 * a digest counts the kinds in ("57 job alerts, 2 recoveries, …").
 */
export type KindViews = { readonly [K in AlertKind]: AlertKindView<Extract<Alert, { kind: K }>> };

export const KIND_VIEWS: KindViews = {
  job,
  "job-recovery": jobRecovery,
  license,
  monitoring,
  "missed-backup": missedBackup,
  "stuck-job": stuckJob,
  "failure-ratio": failureRatio,
  "unusual-activity": unusualActivity,
  "silence-summary": silenceSummary,
};

/** The view of the alert's own kind (the map guarantees kind and view agree). */
function viewOf<A extends Alert>(alert: A): AlertKindView<A> {
  return KIND_VIEWS[alert.kind as AlertKind] as unknown as AlertKindView<A>;
}

/** The one-line preview of one alert: "[CRITICAL] Backup job failed: Exchange Online (IB…) — Contoso". */
export function alertSummary(alert: Alert, ctx: RenderContext): string {
  return viewOf(alert).summary(alert, ctx, HELD);
}

/** The card for one alert, whatever its kind. */
export function renderAlertCard(alert: Alert, ctx: RenderContext, detail: CardDetail = FULL_DETAIL): AdaptiveCard {
  return viewOf(alert).card(alert, ctx, detail, HELD);
}

/** The two card lines that stand for one alert in a digest. */
export function digestEntry(alert: Alert): CardElement[] {
  return digestEntryBlocks(alert, viewOf(alert).digestEntry(alert, HELD));
}

/** What one alert's email says. */
export function alertDocument(alert: Alert, ctx: RenderContext, detail: CardDetail = EMAIL_DETAIL): EmailDocument {
  return viewOf(alert).email(alert, ctx, detail, HELD);
}

/** One alert in a digest email. */
export function emailDigestEntry(alert: Alert, detail: CardDetail): EmailDigestEntry {
  const [headline, details] = viewOf(alert).emailDigestEntry(alert, detail, HELD);
  return { tone: emailTone(alert), label: alertLabel(alert), headline, details };
}

/** "57 job alerts, 2 recoveries, 1 license notice": kinds in the map's order, those with one noun counted together. */
export function digestBreakdown(alerts: readonly Alert[]): string {
  const counts = new Map<string, { count: number; many: string }>();
  for (const view of Object.values(KIND_VIEWS) as AlertKindView<Alert>[]) {
    const [one, many] = view.noun;
    if (!counts.has(one)) counts.set(one, { count: 0, many });
  }
  for (const alert of alerts) counts.get(viewOf(alert).noun[0])!.count += 1;
  return [...counts]
    .filter(([, { count }]) => count > 0)
    .map(([one, { count, many }]) => plural(count, one, many))
    .join(", ");
}

/** Held-back alerts inside a silence summary are drawn by their own kinds. */
const HELD: HeldAlerts = { summary: alertSummary, digestEntry, emailDigestEntry, breakdown: digestBreakdown };
