import { monitoringAdvice } from "../../alerts/monitoring-rules.js";
import type { CredentialExpiryAlert, MonitoringAlert, MonitoringDegradedAlert, MonitoringProblem, RenderContext } from "../../alerts/model.js";
import { AVEPOINT_REGIONS, apiUrlFor, TOKEN_URLS } from "../../config/environment.js";
import { adaptiveCard, factSet, headerBand, textBlock, type CardElement, type CardTone } from "../adaptive-card.js";
import type { AlertKindView, EntryLines } from "../alert-kind.js";
import { cardSubtitle } from "../card-parts.js";
import { alertEmail, emailTone, type EmailBlock } from "../email-document.js";
import { escapeApiText, escapeErrorText, escapeMarkdown, plainApiText, plainErrorText } from "../escape.js";
import { alertLabel, alertTag, formatDate, formatUtc, plural, summaryLine, tenantLabel, TENANT_CHARS } from "../format.js";

/**
 * Alerts about the monitor itself (kind `monitoring`): "Monitoring degraded"
 * and its resolve, the credential expiry warning, the notice of an alert set
 * aside, and the test message of `npm run send-test-alert`. `monitoringView`
 * says what they show, for the card and the email alike.
 */

const DAY_IN_MS = 24 * 60 * 60 * 1000;

const TEST_ALERT_TITLE = "Test alert from Cloud Backup Alerts \u2014 no action needed";

const PROBLEM_LABELS: Record<MonitoringProblem, string> = {
  credential: "Credential or permission refused",
  unreachable: "AvePoint API unreachable",
  malformed: "Response not understood",
  renamed: "Endpoint not found (renamed by the vendor?)",
  unexpected: "Unexpected error",
};

function monitoringProblemLabel(problem: MonitoringProblem): string {
  return PROBLEM_LABELS[problem];
}

/** "Jobs monitor", or with one cause on several: "Jobs and license monitors". */
function monitorName(alert: MonitoringDegradedAlert): string {
  const names = alert.monitors && alert.monitors.length > 1 ? alert.monitors : [alert.monitor];
  const listed = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]!}`;
  return `${listed.charAt(0).toUpperCase()}${listed.slice(1)} monitor${names.length > 1 ? "s" : ""}`;
}

function credentialName(alert: CredentialExpiryAlert): string {
  return alert.credential === "certificate" ? "AvePoint certificate" : "AvePoint client secret";
}

/** Whole days from detection to expiry, rounded up ("expires in 1 day" until the last moment); 0 once expired. */
function daysLeft(alert: CredentialExpiryAlert): number {
  return Math.max(0, Math.ceil((alert.expiresAt.getTime() - alert.detectedAt.getTime()) / DAY_IN_MS));
}

/** The headline without a "Resolved:" prefix. */
function monitoringHeadline(alert: MonitoringAlert): string {
  switch (alert.subject) {
    case "degraded":
      return alert.status === "resolved"
        ? `${monitorName(alert)} ${alert.monitors && alert.monitors.length > 1 ? "work" : "works"} again`
        : `Monitoring degraded: ${monitorName(alert).toLowerCase()} failed ${plural(alert.failures, "cycle")} in a row`;
    case "credential-expiry": {
      if (alert.status === "resolved") return `${credentialName(alert)} renewed (now expires ${formatDate(alert.expiresAt)})`;
      if (alert.expiresAt.getTime() <= alert.detectedAt.getTime()) return `${credentialName(alert)} expired on ${formatDate(alert.expiresAt)}`;
      return `${credentialName(alert)} expires in ${plural(daysLeft(alert), "day")} (${formatDate(alert.expiresAt)})`;
    }
    case "set-aside":
      return `An alert for ${alert.receiver} was set aside: it could not be read or rendered`;
    case "test":
      return TEST_ALERT_TITLE;
  }
}

function monitoringTitle(alert: MonitoringAlert): string {
  return alert.status === "resolved" ? `Resolved: ${monitoringHeadline(alert)}` : monitoringHeadline(alert);
}

function monitoringTone(alert: MonitoringAlert): CardTone {
  if (alert.subject === "test") return "default";
  if (alert.status === "resolved") return "good";
  return alert.severity === "critical" ? "attention" : alert.severity === "warning" ? "warning" : "default";
}

/** What a monitoring alert shows, independent of the format. Texts are plain; `apiText` makes untrusted text safe for the format. */
interface MonitoringView {
  facts: { label: string; value: string }[];
  /** What happened, in a sentence or two. */
  lead: string | null;
  /** "What to check" items (project text). */
  checks: string[];
}

/** The AvePoint endpoints our error messages name (every environment and data center). */
const AVEPOINT_ORIGINS: readonly string[] = [
  ...Object.values(TOKEN_URLS).map((u) => new URL(u).origin),
  ...AVEPOINT_REGIONS.map((r) => new URL(apiUrlFor(r)).origin),
];

/**
 * `errorText` encodes the last error, a message of ours that quotes API text
 * (default `apiText`); the card and email keep the AvePoint endpoint it names copyable.
 */
function monitoringView(
  alert: MonitoringAlert,
  ctx: RenderContext,
  apiText: (raw: string, maxChars?: number) => string,
  errorText: (raw: string, maxChars?: number) => string = apiText,
): MonitoringView {
  const tenant = apiText(tenantLabel(alert, ctx), TENANT_CHARS);
  switch (alert.subject) {
    case "degraded": {
      const facts = [
        alert.monitors && alert.monitors.length > 1 ? { label: "Monitors", value: alert.monitors.join(", ") } : { label: "Monitor", value: alert.monitor },
        { label: alert.status === "resolved" ? "Was" : "Problem", value: monitoringProblemLabel(alert.problem) },
        { label: "Failed cycles", value: String(alert.failures) },
        { label: "Last success", value: alert.lastSuccessAt ? formatUtc(alert.lastSuccessAt) : "never" },
      ];
      if (alert.status === "resolved") {
        facts.push({ label: "Tenant", value: tenant });
        return {
          facts,
          lead: "The last cycle succeeded. What happened while it was failing is read now: the watermark stayed where it was, so nothing is missed.",
          checks: [],
        };
      }
      if (alert.error) facts.push({ label: "Last error", value: errorText(alert.error, 400) });
      facts.push({ label: "Tenant", value: tenant });
      const advice = monitoringAdvice(alert.problem);
      return {
        facts,
        lead: `${advice.what} Until this is fixed, backup failures are not seen. This alert is sent once; a "Resolved" notice follows when ${
          alert.monitors && alert.monitors.length > 1 ? "each of these monitors has succeeded again" : "a cycle succeeds again"
        }.`,
        checks: advice.check,
      };
    }
    case "credential-expiry": {
      const facts = [
        { label: "Credential", value: alert.credential === "certificate" ? "Certificate (read from the certificate)" : "Client secret (expiry date from the settings)" },
        { label: "Expires", value: formatUtc(alert.expiresAt) },
      ];
      if (alert.status !== "resolved") facts.push({ label: "Days left", value: String(daysLeft(alert)) });
      facts.push({ label: "Tenant", value: tenant });
      if (alert.status === "resolved") return { facts, lead: "The credential was renewed; no action needed.", checks: [] };
      const where =
        alert.credential === "certificate"
          ? "Create a new certificate for the AvePoint app registration, then store it in Key Vault (AVEPOINT_CERTIFICATE)."
          : "Create a new client secret for the AvePoint app registration, store it in Key Vault (AVEPOINT_CLIENT_SECRET) and update AVEPOINT_CLIENT_SECRET_EXPIRES.";
      return {
        facts,
        lead: `When the credential expires, the monitor can no longer read backup jobs and alerts stop. ${where}`,
        checks: [],
      };
    }
    case "set-aside":
      return {
        facts: [
          { label: "Receiver", value: apiText(alert.receiver, 80) },
          { label: "Ledger row", value: apiText(alert.row, 300) },
          { label: "Reason", value: apiText(alert.reason, 400) },
          { label: "Tenant", value: tenant },
        ],
        lead:
          "The other alerts go on. This one stays in the ledger, marked quarantined with its reason, and npm run status lists it. " +
          "If another version of this app wrote it, that version sends it once the row's state is set back to pending; otherwise the function's logs say why it could not be rendered.",
        checks: [],
      };
    case "test":
      return {
        facts: [
          { label: "Sent", value: formatUtc(alert.detectedAt) },
          { label: "Tenant", value: tenant },
        ],
        lead: "This message was sent with npm run send-test-alert to check that alerts reach this channel. No action needed.",
        checks: [],
      };
  }
}

/** Headline and one line of details for a digest entry (card or email). */
function entryLines(alert: MonitoringAlert, apiText: (raw: string, maxChars?: number) => string): EntryLines {
  const view = monitoringView(alert, { tenantName: alert.tenant, portalUrl: "" }, apiText);
  const details = view.facts.filter((f) => f.label !== "Tenant" && f.label !== "Last error").map((f) => `${f.label}: ${f.value}`);
  return [monitoringTitle(alert), details.join(" \u00B7 ")];
}

/** The status label: a test message says TEST whatever its severity. */
function monitoringLabel(alert: MonitoringAlert): string {
  return alert.subject === "test" ? "TEST" : alertLabel(alert);
}

export const monitoring: AlertKindView<MonitoringAlert> = {
  noun: ["monitoring notice", "monitoring notices"],

  summary: (alert, ctx) =>
    summaryLine({ tag: alert.subject === "test" ? "[TEST]" : alertTag(alert), headline: monitoringHeadline(alert), tenant: tenantLabel(alert, ctx) }),

  card(alert, ctx, _detail, held) {
    const view = monitoringView(alert, ctx, escapeApiText, (raw, max) => escapeErrorText(raw, AVEPOINT_ORIGINS, max));
    const body: CardElement[] = [
      headerBand(monitoringTone(alert), escapeMarkdown(monitoringTitle(alert)), cardSubtitle(alert, tenantLabel(alert, ctx), monitoringLabel(alert))),
      factSet(view.facts.map((f) => ({ title: f.label, value: f.value })), { spacing: "medium" }),
    ];
    if (view.lead) body.push(textBlock(escapeMarkdown(view.lead), { spacing: "medium" }));
    if (view.checks.length > 0) {
      body.push(textBlock("What to check", { weight: "bolder", spacing: "medium" }));
      for (const check of view.checks) body.push(textBlock(`\u2022 ${escapeMarkdown(check)}`, { spacing: "small" }));
    }
    return adaptiveCard({ fallbackText: monitoring.summary(alert, ctx, held), body, portalUrl: ctx.portalUrl });
  },

  digestEntry: (alert) => entryLines(alert, escapeApiText),

  email(alert, ctx) {
    const view = monitoringView(alert, ctx, plainApiText, (raw, max) => plainErrorText(raw, AVEPOINT_ORIGINS, max));
    const blocks: EmailBlock[] = [{ type: "facts", facts: view.facts }];
    if (view.lead) blocks.push({ type: "paragraph", text: view.lead });
    if (view.checks.length > 0) blocks.push({ type: "list", heading: "What to check", items: view.checks.map((text) => ({ text })) });
    const test = alert.subject === "test";
    const doc = alertEmail(alert, ctx, {
      subject: `${test ? "[TEST]" : alertTag(alert)} ${monitoringHeadline(alert)}`,
      title: alert.status === "resolved" ? monitoringHeadline(alert) : monitoringTitle(alert),
      blocks,
      tone: test ? "info" : emailTone(alert),
      label: monitoringLabel(alert),
    });
    return test ? { ...doc, subtitle: doc.subtitle.replace(/ \u00B7 [A-Z]+ \u00B7 /, " \u00B7 TEST \u00B7 ") } : doc;
  },

  emailDigestEntry: (alert) => entryLines(alert, plainApiText),
};
