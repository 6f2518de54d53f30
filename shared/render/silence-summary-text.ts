import type { Alert, RenderContext, SilenceRef, SilenceSummaryAlert } from "../alerts/model.js";
import { formatNumber, plural, summaryLine, tenantLabel } from "./format.js";

/**
 * The texts of a silence summary (silence-summary-card.ts), apart from its
 * card: the one-line summary and the digest entry need them too, and the
 * card itself is drawn from digest entries (no import circle).
 */

const WEEKDAY_DATE: Intl.DateTimeFormatOptions = { weekday: "short", day: "numeric", month: "short" };
const CLOCK: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };

function localParts(at: Date, timeZone: string): { day: string; time: string } {
  return {
    day: new Intl.DateTimeFormat("en-GB", { ...WEEKDAY_DATE, timeZone }).format(at).replace(",", ""),
    time: new Intl.DateTimeFormat("en-GB", { ...CLOCK, timeZone }).format(at),
  };
}

/**
 * The window in the silence's own clock: "Sun 29 Nov 02:00–06:00 Europe/Berlin",
 * "Sat 28 Nov 22:00 – Sun 29 Nov 06:00 UTC" when it spans days (UTC for absolute windows).
 */
export function silenceWindowText(ref: SilenceRef): string {
  const zone = ref.timeZone ?? "UTC";
  const start = localParts(ref.windowStart, zone);
  const end = localParts(ref.windowEnd, zone);
  // A window ending at midnight reads as "–24:00" on its own day.
  const endsAtMidnight = end.time === "00:00" && ref.windowEnd.getTime() - ref.windowStart.getTime() <= 24 * 3_600_000;
  const endDay = endsAtMidnight ? localParts(new Date(ref.windowEnd.getTime() - 60_000), zone).day : end.day;
  if (endDay === start.day) return `${start.day} ${start.time}\u2013${endsAtMidnight ? "24:00" : end.time} ${zone}`;
  return `${start.day} ${start.time} \u2013 ${end.day} ${end.time} ${zone}`;
}

/** "While silenced (sunday-maintenance, Sun 29 Nov 02:00–06:00 Europe/Berlin): 4 alerts". Operator text (the silence name) unescaped. */
export function silenceSummaryTitle(alert: SilenceSummaryAlert): string {
  return `While silenced (${alert.silence.name}, ${silenceWindowText(alert.silence)}): ${plural(alert.total, "alert")}`;
}

export const SILENCE_SUMMARY_LEAD =
  "These alerts were recorded but not sent while the silence was in force. Each is listed here once; of them, only a critical license level still reached fires again, at its next reminder.";

export function silenceSummaryAlertSummary(alert: SilenceSummaryAlert, ctx: RenderContext): string {
  return summaryLine({ tag: "[INFO]", headline: silenceSummaryTitle(alert), tenant: tenantLabel(alert, ctx) });
}

/** A summary inside a digest (or inside a later summary): its title, and the first held-back alerts' headlines. */
export function silenceSummaryDigestDetails(alert: SilenceSummaryAlert, headline: (a: Alert) => string): string {
  const shown = alert.alerts.slice(0, 3).map(headline);
  const more = alert.total - shown.length;
  return [...shown, ...(more > 0 ? [`and ${formatNumber(more)} more`] : [])].join(" \u00B7 ");
}
