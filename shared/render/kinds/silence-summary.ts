import type { Alert, RenderContext, SilenceRef, SilenceSummaryAlert } from "../../alerts/model.js";
import { FULL_DETAIL, textBlock } from "../adaptive-card.js";
import type { AlertKindView, EntryLines, HeldAlerts } from "../alert-kind.js";
import { digestCard } from "../digest-layout.js";
import { alertEmail, EMAIL_DIGEST_DETAIL, tenantText, type EmailBlock } from "../email-document.js";
import { escapeApiText, escapeMarkdown, plainApiText } from "../escape.js";
import { formatNumber, formatUtc, plural, summaryLine, tenantLabel, TENANT_CHARS } from "../format.js";

/**
 * The summary sent after a silence window ends (routing/silence-summary.ts):
 * "While silenced (sunday-maintenance, Sun 29 Nov 02:00–06:00 Europe/Berlin):
 * 4 alerts", then each held-back alert as a digest entry. Its card is a digest
 * card with the silence's banner; the held-back alerts are drawn by their own
 * kinds (`held`).
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
function silenceSummaryTitle(alert: SilenceSummaryAlert): string {
  return `While silenced (${alert.silence.name}, ${silenceWindowText(alert.silence)}): ${plural(alert.total, "alert")}`;
}

const SILENCE_SUMMARY_LEAD =
  "These alerts were recorded but not sent while the silence was in force. Each is listed here once; of them, only a critical license level still reached fires again, at its next reminder.";

/** Held-back alerts listed on one card at full detail; smaller shrink steps list fewer (the rest are counted). */
const LISTED_AT_FULL_DETAIL = 25;

/** "3 job alerts, 1 license notice", plus "listed of 50" when the list was cut. */
function heldBreakdown(alert: SilenceSummaryAlert, held: HeldAlerts): string {
  const breakdown = held.breakdown(alert.alerts);
  return alert.total > alert.alerts.length ? `${breakdown} listed of ${formatNumber(alert.total)}` : breakdown;
}

/** The closing line when not every held-back alert is listed. */
function notListed(alert: SilenceSummaryAlert, listed: number): string | undefined {
  const more = alert.total - listed;
  return more > 0 ? `\u2026and ${plural(more, "more alert")} not listed here.` : undefined;
}

/** A summary inside a digest (or inside a later summary): the first held-back alerts' headlines. */
function entryDetails(alert: SilenceSummaryAlert, headline: (a: Alert) => string): string {
  const shown = alert.alerts.slice(0, 3).map(headline);
  const more = alert.total - shown.length;
  return [...shown, ...(more > 0 ? [`and ${formatNumber(more)} more`] : [])].join(" \u00B7 ");
}

function summary(alert: SilenceSummaryAlert, ctx: RenderContext): string {
  return summaryLine({ tag: "[INFO]", headline: silenceSummaryTitle(alert), tenant: tenantLabel(alert, ctx) });
}

export const silenceSummary: AlertKindView<SilenceSummaryAlert> = {
  noun: ["silence summary", "silence summaries"],
  summary,

  card(alert, ctx, detail, held) {
    const subtitle = `${escapeApiText(tenantLabel(alert, ctx), TENANT_CHARS)} \u00B7 INFO \u00B7 ${heldBreakdown(alert, held)} \u00B7 sent ${formatUtc(alert.detectedAt)}`;
    // Fewer entries at each shrink step, in proportion to the step's listed ids (20, 10, 5, 3).
    const listed = Math.max(1, Math.floor((LISTED_AT_FULL_DETAIL * detail.maxListedIds) / FULL_DETAIL.maxListedIds));
    const shown = alert.alerts.slice(0, listed);
    const closing = notListed(alert, shown.length);
    return digestCard({
      banner: { tone: "default", title: escapeMarkdown(silenceSummaryTitle(alert)), subtitle, note: textBlock(SILENCE_SUMMARY_LEAD, { spacing: "medium" }) },
      entries: shown.flatMap((a) => held.digestEntry(a)),
      ...(closing ? { closing } : {}),
      fallbackText: summary(alert, ctx),
      portalUrl: ctx.portalUrl,
    });
  },

  digestEntry: (alert, held): EntryLines => [
    escapeMarkdown(silenceSummaryTitle(alert)),
    entryDetails(alert, (a) => escapeMarkdown(held.summary(a, { tenantName: a.tenant, portalUrl: "" }))),
  ],

  /** Every listed held-back alert as a digest entry (an email has room for all of them). */
  email(alert, ctx, _detail, held) {
    const facts = [
      { label: "Silence", value: plainApiText(alert.silence.name, 100) },
      { label: "Window", value: silenceWindowText(alert.silence) },
      { label: "Held back", value: heldBreakdown(alert, held) },
      { label: "Tenant", value: tenantText(alert, ctx) },
    ];
    const blocks: EmailBlock[] = [
      { type: "paragraph", text: SILENCE_SUMMARY_LEAD },
      { type: "facts", facts },
      { type: "entries", entries: alert.alerts.map((a) => held.emailDigestEntry(a, EMAIL_DIGEST_DETAIL)) },
    ];
    const closing = notListed(alert, alert.alerts.length);
    if (closing) blocks.push({ type: "paragraph", text: closing });
    const title = plainApiText(silenceSummaryTitle(alert));
    return alertEmail(alert, ctx, { subject: `[INFO] ${title}`, title, blocks, tone: "info", label: "INFO" });
  },

  emailDigestEntry: (alert, detail, held): EntryLines => [
    plainApiText(silenceSummaryTitle(alert)),
    entryDetails(alert, (a) => held.emailDigestEntry(a, detail).headline),
  ],
};
