/**
 * `npm run check-config [-- --test kind=job,severity=critical,service=Exchange] [-- --online]`:
 * validates everything the monitors will read (every setting, the routing
 * file, the AvePoint certificate and its expiry), then prints the effective
 * configuration with secrets masked (a webhook as its host only) and the
 * routing tree: receivers, routes in order, default, fallbacks, silences with
 * their next window. With `--test`, which receivers a sample alert would reach
 * and whether a silence holds it back now.
 *
 * No network request by default. `--online` asks the AvePoint token endpoint
 * for a token with each permission the monitors use and reports granted / not
 * granted, then finds which API revision answers and how it reads times and
 * pages (what `auto` learns; a few requests, see docs/AVEPOINT.md),
 * and, with the Teams bot set up, gets the bot's Bot Connector token from Entra
 * as a proactive send would.
 *
 * Exit codes: 0 valid; 2 configuration error (every problem listed).
 */
import { ROUTABLE_KINDS, SEVERITIES, type Routing, type Silence } from "../shared/config/routing-file.js";
import { isSilenced, matches, routeAlert, type RoutableAlert } from "../shared/routing/route.js";
import { nextSilenceWindow } from "../shared/routing/silence-window.js";
import { receiverTarget } from "../shared/receivers/registry.js";
import {
  AvePointTokenProvider,
  createAvePointClient,
  describeServiceReading,
  JOBS_SCOPE,
  LICENSE_SCOPE,
  loadClientCertificate,
  SETTINGS_SCOPE,
  SERVICES,
  UNUSUAL_ACTIVITY_SCOPE,
  type ServiceId,
} from "../shared/avepoint/index.js";
import { ConfigError, type Settings, type SettingProblem } from "../shared/config/index.js";
import { formatUtc } from "../shared/render/format.js";
import { silenceWindowText } from "../shared/render/kinds/silence-summary.js";
import { redact } from "../shared/security/secret.js";
import { argValue, loadOperatorSettings, processIo, runAsScript, secretsIn, type OperatorIo } from "./operator-io.js";

const DAY_IN_MS = 24 * 3_600_000;

/** A health rule that needs a permission beyond the two base read scopes. */
export interface OptionalPermission {
  scope: string;
  /** What uses it, and the setting that switches it off. */
  feature: string;
}

/** The optional permissions these settings make the monitors ask for (current revision only: pinned, or found by `auto`; quiet without them). */
export function optionalPermissions(settings: Settings): OptionalPermission[] {
  if (settings.avepoint.profile === "seed") return [];
  const out: OptionalPermission[] = [];
  if (settings.health.backupStartGraceMinutes > 0) out.push({ scope: SETTINGS_SCOPE, feature: "missed scheduled backups (BACKUP_START_GRACE_MINUTES)" });
  if (settings.health.unusualActivity) out.push({ scope: UNUSUAL_ACTIVITY_SCOPE, feature: "unusual activity (ALERT_UNUSUAL_ACTIVITY)" });
  return out;
}

/**
 * `kind=job,severity=critical,service=Exchange,tenant=Contoso` as a sample
 * alert. Services by name, ignoring case, spaces and a unique partial name
 * ("Exchange" → Exchange Online), or by number. Absent fields: kind job,
 * severity critical, the configured tenant, no service.
 */
export function parseSampleAlert(spec: string, tenant: string): { alert: RoutableAlert; problems: string[] } {
  const alert: RoutableAlert = { kind: "job", severity: "critical", tenant };
  const problems: string[] = [];
  for (const part of spec.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? "" : part.slice(eq + 1).trim();
    if (value === "") {
      problems.push(`"${part}" needs a value, as in kind=job`);
      continue;
    }
    if (key === "kind") {
      const kind = ROUTABLE_KINDS.find((k) => k === value.toLowerCase());
      if (kind) alert.kind = kind;
      else problems.push(`kind "${value}" is not an alert kind; expected one of ${ROUTABLE_KINDS.join(", ")}`);
    } else if (key === "severity") {
      const severity = SEVERITIES.find((s) => s === value.toLowerCase());
      if (severity) alert.severity = severity;
      else problems.push(`severity "${value}" is not one of ${SEVERITIES.join(", ")}`);
    } else if (key === "service") {
      const service = findService(value);
      if (typeof service === "number") alert.service = service;
      else problems.push(service);
    } else if (key === "tenant") {
      alert.tenant = value;
    } else {
      problems.push(`"${key}" is not a field of the sample alert; use kind, severity, service and tenant`);
    }
  }
  return { alert, problems };
}

/** A service by number, by name (ignoring case and spacing), or by a part of its name that only one service has; else the problem. */
function findService(text: string): ServiceId | string {
  const entries = Object.entries(SERVICES) as [string, string][];
  if (/^\d+$/.test(text)) {
    const found = entries.find(([id]) => id === text);
    return found ? (Number(found[0]) as ServiceId) : `service ${text} is not a service number (1-12)`;
  }
  const key = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  const wanted = key(text);
  const exact = entries.find(([, name]) => key(name) === wanted);
  if (exact) return Number(exact[0]) as ServiceId;
  const partial = entries.filter(([, name]) => wanted !== "" && key(name).includes(wanted));
  if (partial.length === 1) return Number(partial[0]![0]) as ServiceId;
  if (partial.length > 1) return `service "${text}" could be ${partial.map(([, n]) => n).join(" or ")}; say which`;
  return `service "${text}" is not known; expected one of ${Object.values(SERVICES).join(", ")}`;
}

// --- The report -------------------------------------------------------------

function describeMatchers(m: Silence["matchers"]): string {
  const parts: string[] = [];
  if (m.kind) parts.push(`kind=${m.kind.join("|")}`);
  if (m.severity) parts.push(`severity=${m.severity.join("|")}`);
  if (m.service) parts.push(`service=${m.service.map((s) => SERVICES[s]).join("|")}`);
  if (m.tenant) parts.push(`tenant=${m.tenant.join("|")}`);
  return parts.length > 0 ? parts.join(" ") : "every alert";
}

/** Only the host of a URL is shown (a URL may carry a credential). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(not a URL)";
  }
}

function receiverLines(routing: Routing): string[] {
  const width = Math.max(...routing.receivers.map((r) => r.name.length), 4);
  return routing.receivers.map((r) => `    ${r.name.padEnd(width)}  ${r.type.padEnd(15)}  ${receiverTarget(r)}${r.fallback ? `; fallback: ${r.fallback}` : ""}`);
}

function silenceLines(silence: Silence, now: Date): string[] {
  const when = silence.weekly
    ? `every ${silence.weekly.days.join(", ")} ${silence.weekly.start}\u2013${silence.weekly.end} ${silence.weekly.timeZone}`
    : `from ${formatUtc(silence.starts)} to ${formatUtc(silence.ends)}`;
  const bounds = silence.weekly && (silence.starts || silence.ends) ? ` (${silence.starts ? `from ${formatUtc(silence.starts)}` : ""}${silence.starts && silence.ends ? " " : ""}${silence.ends ? `until ${formatUtc(silence.ends)}` : ""})` : "";
  const lines = [`    ${silence.name}: ${when}${bounds}; matches ${describeMatchers(silence.matchers)}`];
  const next = nextSilenceWindow(silence, now);
  const text = (w: { start: Date; end: Date }) =>
    `${formatUtc(w.start)} \u2013 ${formatUtc(w.end)}${silence.weekly ? ` (${silenceWindowText({ name: silence.name, windowStart: w.start, windowEnd: w.end, timeZone: silence.weekly.timeZone })})` : ""}`;
  if (!next) lines.push("      over: no window to come");
  else if (next.start.getTime() <= now.getTime()) lines.push(`      IN FORCE NOW: ${text(next)}; ends in ${duration(next.end.getTime() - now.getTime())}`);
  else lines.push(`      next: ${text(next)}; starts in ${duration(next.start.getTime() - now.getTime())}`);
  return lines;
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return [days > 0 ? `${days} d` : "", hours > 0 ? `${hours} h` : "", rest > 0 || minutes === 0 ? `${rest} min` : ""].filter(Boolean).join(" ");
}

export function formatRouting(routing: Routing, now: Date): string {
  const source = routing.source === "default" ? "the default route of TEAMS_WEBHOOK_URL / EMAIL_TO / the Teams bot" : routing.source;
  const lines = [`Routing (from ${source})`, "  Receivers"];
  lines.push(...(routing.receivers.length > 0 ? receiverLines(routing) : ["    none"]));
  if (routing.routes.length > 0) {
    lines.push("  Routes (in order; the first match ends routing unless it says continue)");
    routing.routes.forEach((r, i) => lines.push(`    ${i + 1}. ${describeMatchers(r.matchers)} \u2192 ${r.receivers.join(", ")}${r.continue ? " (continue)" : ""}`));
  }
  lines.push(`  Default \u2192 ${routing.defaultReceivers.join(", ") || "none"}`);
  const fallbacks = routing.receivers.filter((r) => r.fallback);
  if (fallbacks.length > 0) lines.push(`  Fallbacks: ${fallbacks.map((r) => `${r.name} \u2192 ${r.fallback}`).join("; ")}`);
  if (routing.silences.length > 0) {
    lines.push(`  Silences (now ${formatUtc(now)})`);
    for (const s of routing.silences) lines.push(...silenceLines(s, now));
  }
  return `${lines.join("\n")}\n`;
}

export function formatSampleRouting(alert: RoutableAlert, routing: Routing, now: Date): string {
  const service = alert.service !== undefined ? ` service=${SERVICES[alert.service]}` : "";
  const lines = [`Sample alert: kind=${alert.kind} severity=${alert.severity}${service} tenant=${alert.tenant}`];
  const matched = routing.routes.map((r, i) => ({ r, i })).filter(({ r }) => matches(alert, r.matchers));
  const stop = matched.findIndex(({ r }) => !r.continue);
  const used = stop < 0 ? matched : matched.slice(0, stop + 1);
  lines.push(used.length > 0 ? `  matches route ${used.map(({ i }) => i + 1).join(", ")}` : "  matches no route: the default receivers");
  const typeOf = new Map(routing.receivers.map((r) => [r.name, r.type]));
  const receivers = routeAlert(alert, routing);
  lines.push(`  would reach: ${receivers.map((name) => `${name} (${typeOf.get(name) ?? "unknown"})`).join(", ") || "nobody"}`);
  const silence = isSilenced(alert, routing.silences, now);
  if (silence) {
    const window = nextSilenceWindow(silence, now);
    lines.push(`  held back now by silence "${silence.name}"${window ? ` until ${formatUtc(window.end)}` : ""}: recorded, then listed in the summary after it`);
  } else {
    lines.push("  no silence applies now");
  }
  return `${lines.join("\n")}\n`;
}

function formatSettings(settings: Settings, certificate: string): string {
  const a = settings.avepoint;
  const storage = settings.storage
    ? settings.storage.kind === "connectionString"
      ? `Table Storage, connection string from ${settings.storage.variable}`
      : `Table Storage at ${hostOf(settings.storage.url)} (managed identity)`
    : "none";
  const email = settings.email
    ? settings.email.transport.kind === "graph"
      ? `Microsoft Graph, from ${settings.email.from}`
      : `SMTP ${settings.email.transport.host}:${settings.email.transport.port}, from ${settings.email.from}`
    : "off";
  const lines = [
    `Tenant label   ${settings.alerts.tenantName}`,
    `AvePoint       ${a.apiUrl} (profile ${a.profile}, ${a.environment}, region ${a.region}); client id ${a.clientId}`,
    `Credential     ${certificate}`,
    `Schedules      jobs ${settings.jobs.schedule}, license ${settings.license.schedule}`,
    `Ledger         ${storage}; table prefix "${settings.tablePrefix}"`,
    `Email          ${email}`,
    `Teams bot      ${settings.bot ? `app ${settings.bot.appId} (${settings.bot.appType})` : "off"}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** Reads the certificate (no network) and says when it expires; an unreadable or expired credential is a problem. */
async function checkCredential(settings: Settings, now: Date, problems: SettingProblem[], warnings: string[]): Promise<string> {
  const credential = settings.avepoint.credential;
  if (credential.kind === "secret") {
    const expires = settings.monitoring.clientSecretExpiresAt;
    if (!expires) return "client secret (expiry not given: set AVEPOINT_CLIENT_SECRET_EXPIRES to be warned before it runs out)";
    if (expires.getTime() <= now.getTime()) {
      problems.push({ variable: "AVEPOINT_CLIENT_SECRET_EXPIRES", message: `the client secret expired on ${formatUtc(expires)}: create a new one and store it in AVEPOINT_CLIENT_SECRET` });
    }
    return `client secret, expires ${formatUtc(expires)} (in ${duration(expires.getTime() - now.getTime())})`;
  }
  const variable = credential.source === "file" ? "AVEPOINT_CERTIFICATE_PATH" : "AVEPOINT_CERTIFICATE";
  try {
    const certificate = await loadClientCertificate(credential);
    const left = certificate.notAfter.getTime() - now.getTime();
    if (left <= 0) {
      problems.push({ variable, message: `the certificate expired on ${formatUtc(certificate.notAfter)}: create a new one for the AvePoint app registration` });
    } else if (left <= settings.monitoring.credentialWarnDays * DAY_IN_MS) {
      warnings.push(`the AvePoint certificate expires in ${duration(left)} (${formatUtc(certificate.notAfter)}): renew it soon`);
    }
    return `certificate ${credential.source === "file" ? `from the file ${credential.path ?? ""}` : "from AVEPOINT_CERTIFICATE"}, subject ${certificate.subject.replace(/\n/g, ", ")}, expires ${formatUtc(certificate.notAfter)}`;
  } catch (err) {
    problems.push({ variable, message: `the certificate cannot be loaded: ${err instanceof Error ? err.message : String(err)}` });
    return "certificate (not readable)";
  }
}

/** The two permissions the monitors cannot work without, each asked on its own as the monitors do. */
const MONITOR_PERMISSIONS: readonly OptionalPermission[] = [
  { scope: JOBS_SCOPE, feature: "the jobs monitor" },
  { scope: LICENSE_SCOPE, feature: "the license monitor" },
];

/** `--online`: one token request per permission; granted when the token endpoint issues it. */
async function checkPermissionsOnline(settings: Settings, wanted: readonly OptionalPermission[]): Promise<string[]> {
  const lines: string[] = [];
  for (const permission of [...MONITOR_PERMISSIONS, ...wanted]) {
    const provider = new AvePointTokenProvider({
      tokenUrl: settings.avepoint.tokenUrl,
      clientId: settings.avepoint.clientId,
      credential: settings.avepoint.credential,
      scope: permission.scope,
      retryPolicy: { maxAttempts: 2 },
    });
    try {
      const token = await provider.getToken();
      const granted = grantedScopes(token.reveal());
      lines.push(
        granted === null || granted.includes(permission.scope)
          ? `online: ${permission.scope}: granted`
          : `online: ${permission.scope}: NOT granted (the token came without it): ${permission.feature} stays quiet`,
      );
    } catch (err) {
      lines.push(`online: ${permission.scope}: NOT granted (${err instanceof Error ? err.message : String(err)}): ${permission.feature} stays quiet`);
    }
  }
  return lines;
}

/** `--online` with the bot: the token every proactive send needs (a wrong app type, tenant or secret shows here, not at 3 a.m.). */
async function checkBotTokenOnline(settings: Settings): Promise<string[]> {
  if (!settings.bot) return [];
  // The SDK is loaded only here: check-config without the bot or --online never pays for it.
  const { acquireBotToken } = await import("../shared/bot/teams-app.js");
  try {
    await acquireBotToken(settings.bot);
    return [`online: Teams bot: Microsoft Entra issued the Bot Connector token (${settings.bot.appType})`];
  } catch (err) {
    return [`online: Teams bot: NO Bot Connector token: ${err instanceof Error ? err.message : String(err)}`];
  }
}

/** Both Teams paths post only to standard channels, and a 202 from Workflows only means queued. */
function teamsNotes(settings: Settings): string[] {
  const types = new Set(settings.routing.receivers.map((r) => r.type));
  if (!types.has("teams-workflows") && !types.has("teams-bot")) return [];
  return [
    "note: Teams: use a standard channel; neither the Workflows flow bot nor this app's bot can post in private or shared channels (Workflows still answers 202 and the alert is lost)",
    "note: Teams: after setup run `npm run send-test-alert` and check that the card arrived in the channel: a 202 only means the message was queued",
  ];
}

/** `--online`: which API revision answers and how it reads times and pages, as AVEPOINT_API_PROFILE=auto learns it. */
async function checkRevisionOnline(settings: Settings): Promise<string[]> {
  const client = createAvePointClient(settings.avepoint, { retryPolicy: { maxAttempts: 2 } });
  const lines: string[] = [];
  for (const [what, read] of [
    ["jobs", () => client.learn()],
    ["license", () => client.getLicenseUsage()],
  ] as const) {
    try {
      await read();
    } catch (err) {
      lines.push(`online: AvePoint ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  lines.unshift(`online: AvePoint (AVEPOINT_API_PROFILE=${settings.avepoint.profile}): ${describeServiceReading(client.reading())}`);
  return lines;
}

/** The scopes a JWT access token carries (`scope` or `scp`); null when the token is not a readable JWT. */
function grantedScopes(token: string): string[] | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { scope?: unknown; scp?: unknown };
    const value = claims.scope ?? claims.scp;
    if (typeof value === "string") return value.split(" ");
    if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
    return null;
  } catch {
    return null;
  }
}

export async function main(argv: string[], io: OperatorIo = processIo): Promise<number> {
  const now = (io.now ?? (() => new Date()))();
  const sample = argValue(argv, "--test");
  if (sample === null) {
    io.stderr("--test needs a sample alert, such as --test kind=job,severity=critical,service=Exchange\n");
    return 2;
  }
  const settings = loadOperatorSettings(io);
  if (!settings) return 2;
  // Belt and braces: whatever is printed goes through the settings' secrets.
  const secrets = secretsIn(settings);
  const out = (text: string) => io.stdout(redact(text, secrets));

  const problems: SettingProblem[] = [];
  const warnings: string[] = [];
  const credential = await checkCredential(settings, now, problems, warnings);
  const test = sample !== undefined ? parseSampleAlert(sample, settings.alerts.tenantName) : undefined;
  for (const message of test?.problems ?? []) problems.push({ variable: "--test", message });
  if (problems.length > 0) {
    io.stderr(`${redact(new ConfigError(problems).message, secrets)}\n`);
    return 2;
  }

  out("Configuration is valid.\n\n");
  out(formatSettings(settings, credential));
  out("\n");
  out(formatRouting(settings.routing, now));
  const permissions = optionalPermissions(settings);
  const notes = [
    ...warnings.map((w) => `warning: ${w}`),
    ...permissions.map(
      (p) => `info: ${p.feature} needs the permission ${p.scope}: grant it to the AvePoint app registration; until then that rule stays quiet (check with --online)`,
    ),
  ];
  notes.push(...teamsNotes(settings));
  if (argv.includes("--online")) {
    notes.push(...(await checkPermissionsOnline(settings, permissions)), ...(await checkRevisionOnline(settings)), ...(await checkBotTokenOnline(settings)));
  }
  if (notes.length > 0) out(`\n${notes.join("\n")}\n`);
  if (test) out(`\n${formatSampleRouting(test.alert, settings.routing, now)}`);
  return 0;
}

runAsScript(import.meta.url, main);
