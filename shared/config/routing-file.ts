/**
 * The routing file: named receivers, ordered routes, a default route and
 * silences. Given as a file (`ALERT_ROUTES_FILE`, JSON or YAML) or inline
 * (`ALERT_ROUTES`, JSON); without either, `TEAMS_WEBHOOK_URL` and/or
 * `EMAIL_TO` form the default route (receivers `teams` and `email`).
 *
 * ```yaml
 * receivers:
 *   oncall-teams: { type: teams-workflows, urlFrom: TEAMS_WEBHOOK_ONCALL, fallback: oncall-mail }
 *   oncall-mail:  { type: email, to: [oncall@contoso.com] }
 * routes:
 *   - matchers: { severity: critical }
 *     receivers: [oncall-teams, oncall-mail]
 * default: [oncall-mail]
 * silences:
 *   - name: sunday-maintenance
 *     weekly: { days: [sunday], start: "02:00", end: "06:00", timeZone: Europe/Berlin }
 * ```
 *
 * Every mistake is reported at once, one problem each, naming the place in
 * the file (`routes[1].receivers[0]`, with the line for files) and what is
 * expected, as the settings loader reports settings. Webhook URLs are
 * credentials: they are held as Secrets and never quoted in a problem.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
// Two imports run up, both for vocabulary a route matches on: the alerts' severities (a type only) and the
// AvePoint service names (the API's own list, which settings also use). Settings are read below both.
import type { Severity } from "../alerts/model.js";
import { SERVICES, type ServiceId } from "../avepoint/model.js";
import type { SettingProblem } from "./problems.js";
import { checkWebhookUrl, type WebhookUrl } from "./webhook-url.js";
import { isKnownTimeZone, minutesOfClockTime, WEEKDAYS, type WeeklyWindow, type Weekday } from "./weekly-window.js";

/** Receiver names used without a routing file (permanent: the ledger keys deliveries by them). */
export const DEFAULT_TEAMS_RECEIVER = "teams";
export const DEFAULT_EMAIL_RECEIVER = "email";
export const DEFAULT_TEAMS_BOT_RECEIVER = "teams-bot";
/**
 * The ledger records silenced alerts as delivered to this pseudo-receiver,
 * so a name no routing file may declare.
 */
export const SILENCED_RECEIVER = "silenced";

/**
 * Alert kinds a matcher may name: the Alert union's kinds plus those announced
 * (monitoring). Matching is on strings, so a new kind is added here only.
 */
export const ROUTABLE_KINDS = ["job", "job-recovery", "license", "monitoring", "missed-backup", "stuck-job", "failure-ratio", "unusual-activity"] as const;
export const SEVERITIES: readonly Severity[] = ["critical", "warning", "info"];

/** Every listed field must match (a value among those given); an absent field matches anything. */
export interface AlertMatchers {
  kind?: string[];
  severity?: Severity[];
  service?: ServiceId[];
  /** Tenant labels (ALERT_TENANT_NAME), compared without regard to case. */
  tenant?: string[];
}

interface ReceiverSpecBase {
  /** Permanent id: the ledger keys deliveries by it, so renaming re-delivers. */
  name: string;
  /** Receiver that gets the alerts this one still fails to take after its retries in a cycle. */
  fallback?: string;
}

interface TeamsWorkflowsReceiverSpec extends ReceiverSpecBase {
  type: "teams-workflows";
  url: WebhookUrl;
  /** The setting the URL was read from, when given by reference (Key Vault references land in settings). */
  urlFrom?: string;
}

interface EmailReceiverSpec extends ReceiverSpecBase {
  type: "email";
  to: string[];
}

/** Posts through the Teams bot configured by TEAMS_BOT_* (one bot per app). */
interface TeamsBotReceiverSpec extends ReceiverSpecBase {
  type: "teams-bot";
}

export type ReceiverSpec = TeamsWorkflowsReceiverSpec | EmailReceiverSpec | TeamsBotReceiverSpec;
export type ReceiverType = ReceiverSpec["type"];

interface Route {
  matchers: AlertMatchers;
  receivers: string[];
  /** When true, later routes are tried too. */
  continue: boolean;
}

export interface Silence {
  name: string;
  matchers: AlertMatchers;
  /** Absolute window [starts, ends); with `weekly`, they bound the recurrence. */
  starts?: Date;
  ends?: Date;
  weekly?: WeeklyWindow;
}

export interface Routing {
  /** Where the routing came from: the file, the inline setting, or the default route built from TEAMS_WEBHOOK_URL / EMAIL_TO. */
  source: "ALERT_ROUTES_FILE" | "ALERT_ROUTES" | "default";
  /** In declaration order. */
  receivers: ReceiverSpec[];
  routes: Route[];
  /** Receivers of alerts no route matched. */
  defaultReceivers: string[];
  silences: Silence[];
}

interface RoutingInput {
  /** Every setting (ALERT_ROUTES_FILE, ALERT_ROUTES, and the settings `urlFrom` names). */
  values: Record<string, string | undefined>;
  /** Reads ALERT_ROUTES_FILE. Default: the file system (UTF-8). */
  readFile?: (path: string) => string;
}

/**
 * The routing of ALERT_ROUTES_FILE or ALERT_ROUTES, with every problem found;
 * undefined when neither is set (the settings then form the default route).
 * When there are problems the routing is a best effort and must not be used.
 */
export function parseRouting(input: RoutingInput): { routing: Routing; problems: SettingProblem[] } | undefined {
  const file = input.values["ALERT_ROUTES_FILE"]?.trim() || undefined;
  const inline = input.values["ALERT_ROUTES"]?.trim() || undefined;
  if (file === undefined && inline === undefined) return undefined;

  const variable = file !== undefined ? "ALERT_ROUTES_FILE" : "ALERT_ROUTES";
  const problems: SettingProblem[] = [];
  const empty: Routing = { source: variable, receivers: [], routes: [], defaultReceivers: [], silences: [] };
  if (file !== undefined && inline !== undefined) {
    problems.push({ variable: "ALERT_ROUTES_FILE, ALERT_ROUTES", message: "set one of them: a routing file, or the same routing inline as JSON" });
    return { routing: empty, problems };
  }

  let text: string;
  if (file !== undefined) {
    try {
      text = (input.readFile ?? ((path) => readFileSync(path, "utf8")))(file);
    } catch (err) {
      problems.push({ variable, message: `cannot read the routing file ${JSON.stringify(file)}: ${(err as Error).message}` });
      return { routing: empty, problems };
    }
  } else {
    text = inline as string;
  }

  // JSON is YAML 1.2, so one parser reads both, reports duplicate keys (which
  // JSON.parse would silently merge) and knows the line of every node.
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): string => (offset === undefined || variable !== "ALERT_ROUTES_FILE" ? "" : ` (line ${lines.linePos(offset).line})`);
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const pos = lines.linePos(error.pos[0]);
      // The parser's own words only: its source excerpts could quote a webhook URL.
      problems.push({ variable, message: `line ${pos.line}, column ${pos.col}: ${error.message}` });
    }
    return { routing: empty, problems };
  }

  // Where a path starts in the text: its own node, else the nearest enclosing one (an absent field).
  const offsetOf = (path: readonly PathKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === "object" && node.range) return node.range[0];
    }
    return undefined;
  };
  const found: { offset: number; message: string }[] = [];
  const report = (path: readonly PathKey[], message: string) => {
    const offset = offsetOf(path);
    found.push({ offset: offset ?? Number.MAX_SAFE_INTEGER, message: `${formatPath(path)}${at(offset)}: ${message}` });
  };

  // Aliases are resolved only here: one without its anchor, or too many of them, throws.
  let content: unknown;
  try {
    content = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    problems.push({ variable, message: `cannot be read: ${err instanceof Error ? err.message : String(err)}` });
    return { routing: empty, problems };
  }
  const routing = readRoutingDocument(content, variable, input.values, report);
  // In the order of the text, so the list reads along with the file.
  for (const f of found.sort((a, b) => a.offset - b.offset)) problems.push({ variable, message: f.message });
  return { routing, problems };
}

// --- Schemas -----------------------------------------------------------------

type PathKey = string | number;
type Report = (path: readonly PathKey[], message: string) => void;

/** A strict object whose unknown-field message lists the fields it knows. */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `expected only: ${known}` : issue.code === "invalid_type" ? "must be a mapping of fields" : undefined),
  });
}

/** One value or a list of them; a list must not be empty. */
function oneOrMany<T extends z.ZodType>(item: T, what: string) {
  return z.preprocess(
    (v) => (typeof v === "string" ? [v] : v),
    z.array(item, { error: `must be ${what} or a list of them` }).min(1, { error: `must list at least one ${what}` }),
  );
}

function choice<T extends string>(allowed: readonly T[], what: string, normalize: (v: string) => string = (v) => v.toLowerCase()) {
  return z.string({ error: `must be ${what}: one of ${allowed.join(", ")}` }).transform((value, ctx) => {
    const match = allowed.find((a) => normalize(a) === normalize(value));
    if (match === undefined) {
      ctx.addIssue({ code: "custom", message: `"${value}" is not ${what}; expected one of ${allowed.join(", ")}` });
      return z.NEVER;
    }
    return match;
  });
}

const SERVICE_NAMES = Object.values(SERVICES);
const serviceName = choice(SERVICE_NAMES, "a service", (v) => v.replace(/\s+/g, " ").trim().toLowerCase()).transform(
  (name) => Number(Object.entries(SERVICES).find(([, n]) => n === name)?.[0]) as ServiceId,
);

const matchersSchema = strictObject({
  kind: oneOrMany(choice(ROUTABLE_KINDS, "an alert kind"), "alert kind").optional(),
  severity: oneOrMany(choice(SEVERITIES, "a severity"), "severity").optional(),
  service: oneOrMany(serviceName, "service").optional(),
  tenant: oneOrMany(z.string({ error: "must be a tenant label" }).min(1, { error: "must not be empty" }), "tenant label").optional(),
});

const receiverRef = z.string({ error: "must be a receiver name" });
const receiverRefs = oneOrMany(receiverRef, "receiver name");
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const receiverSchema = z.discriminatedUnion(
  "type",
  [
    strictObject({
      type: z.literal("teams-workflows"),
      // The value is a credential: no message here may quote it.
      url: z.string({ error: "must be the webhook URL as text" }).optional(),
      urlFrom: z.string({ error: "must be the name of a setting" }).regex(SETTING_NAME, { error: "must be the name of a setting, such as TEAMS_WEBHOOK_ONCALL" }).optional(),
      fallback: receiverRef.optional(),
    }),
    strictObject({
      type: z.literal("email"),
      to: oneOrMany(
        z.string({ error: "must be an email address" }).regex(/^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/, { error: "must be an email address such as oncall@contoso.com" }),
        "email address",
      ),
      fallback: receiverRef.optional(),
    }),
    strictObject({ type: z.literal("teams-bot"), fallback: receiverRef.optional() }),
  ],
  { error: (issue) => (issue.code === "invalid_union" || issue.code === "invalid_type" ? "type must be teams-workflows, email or teams-bot" : undefined) },
);

const routeSchema = strictObject({
  matchers: matchersSchema.optional(),
  receivers: receiverRefs,
  continue: z.boolean({ error: "must be true or false" }).optional(),
});

const clockTime = z.string({ error: 'must be a local time "HH:MM"' }).refine((v) => minutesOfClockTime(v) !== undefined, {
  error: 'must be a local time "HH:MM" from 00:00 to 24:00',
});

const weeklySchema = strictObject({
  days: oneOrMany(
    z.string({ error: "must be a weekday" }).transform((value, ctx) => {
      const v = value.trim().toLowerCase();
      const day = WEEKDAYS.find((d) => d === v || d.slice(0, 3) === v);
      if (!day) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not a weekday; expected monday ... sunday (or mon ... sun)` });
        return z.NEVER;
      }
      return day as Weekday;
    }),
    "weekday",
  ),
  start: clockTime,
  end: clockTime,
  timeZone: z.string({ error: "must be an IANA time zone such as Europe/Berlin" }).refine(isKnownTimeZone, {
    error: "is not a known IANA time zone (such as Europe/Berlin or America/New_York)",
  }),
});

const instant = z.iso
  .datetime({ offset: true, error: "must be an ISO 8601 date and time with its offset, such as 2026-04-05T02:00:00+02:00 or ...Z" })
  .transform((v) => new Date(v));

const silenceSchema = strictObject({
  name: z.string({ error: "must name the silence" }).min(1, { error: "must name the silence" }).max(100, { error: "must be at most 100 characters" }),
  matchers: matchersSchema.optional(),
  starts: instant.optional(),
  ends: instant.optional(),
  weekly: weeklySchema.optional(),
});

const TOP_LEVEL_FIELDS = ["receivers", "routes", "default", "silences"];

// --- Reading the document ----------------------------------------------------

function readRoutingDocument(doc: unknown, source: Routing["source"], values: RoutingInput["values"], report: Report): Routing {
  const routing: Routing = { source, receivers: [], routes: [], defaultReceivers: [], silences: [] };
  if (!isMapping(doc)) {
    report([], "must be a mapping with receivers, routes, default and silences");
    return routing;
  }
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL_FIELDS.includes(key)) report([key], `unknown field; expected only: ${TOP_LEVEL_FIELDS.join(", ")}`);
  }

  // Receivers. Names declared with a broken body still count as declared, so
  // a route naming them is not reported a second time.
  const declared = new Set<string>();
  const rawReceivers = doc["receivers"];
  if (!isMapping(rawReceivers) || Object.keys(rawReceivers).length === 0) {
    report(["receivers"], "must declare at least one receiver: a mapping of name → { type: teams-workflows | email | teams-bot, ... }");
  } else {
    for (const [name, body] of Object.entries(rawReceivers)) {
      declared.add(name);
      const path = ["receivers", name];
      if (!isPermanentId(name)) report(path, `"${name}" is not a valid receiver name: use 1-40 of a-z, 0-9 and "-" (it is a permanent id)`);
      else if (name === SILENCED_RECEIVER) report(path, `"${SILENCED_RECEIVER}" is reserved (the ledger records silenced alerts under it); choose another name`);
      const parsed = receiverSchema.safeParse(body);
      if (!parsed.success) {
        reportIssues(parsed.error.issues, path, report);
        continue;
      }
      const spec = parsed.data;
      if (spec.type === "email") {
        routing.receivers.push({ name, type: "email", to: [...new Set(spec.to)], ...(spec.fallback !== undefined ? { fallback: spec.fallback } : {}) });
        continue;
      }
      if (spec.type === "teams-bot") {
        routing.receivers.push({ name, type: "teams-bot", ...(spec.fallback !== undefined ? { fallback: spec.fallback } : {}) });
        continue;
      }
      const url = readWebhookUrl(spec, values, path, report);
      if (url) routing.receivers.push({ name, type: "teams-workflows", ...url, ...(spec.fallback !== undefined ? { fallback: spec.fallback } : {}) });
    }
  }

  const unknownReceiver = (name: string) => `"${name}" is not a declared receiver; declared: ${[...declared].join(", ") || "none"}`;
  // Checked on the raw value, so a route with another mistake still has its references checked.
  // One name is reported at `path`, a name in a list at `path[i]`.
  const checkRefs = (raw: unknown, path: readonly PathKey[]) => {
    if (typeof raw === "string" && !declared.has(raw)) report(path, unknownReceiver(raw));
    if (!Array.isArray(raw)) return;
    raw.forEach((name: unknown, i) => {
      if (typeof name === "string" && !declared.has(name)) report([...path, i], unknownReceiver(name));
    });
  };

  // Routes, in order.
  const rawRoutes = doc["routes"];
  if (rawRoutes !== undefined && rawRoutes !== null && !Array.isArray(rawRoutes)) {
    report(["routes"], "must be a list of routes: - { matchers: {...}, receivers: [...], continue: true|false }");
  } else {
    (rawRoutes ?? []).forEach((body: unknown, i: number) => {
      const parsed = routeSchema.safeParse(body);
      if (isMapping(body)) checkRefs(body["receivers"], ["routes", i, "receivers"]);
      if (!parsed.success) {
        reportIssues(parsed.error.issues, ["routes", i], report);
        return;
      }
      routing.routes.push({ matchers: parsed.data.matchers ?? {}, receivers: [...new Set(parsed.data.receivers)], continue: parsed.data.continue ?? false });
    });
  }

  // The default route: every alert must reach someone.
  if (doc["default"] === undefined || doc["default"] === null) {
    report(["default"], "is required: the receivers of alerts no route matches, e.g. default: [team-channel]");
  } else {
    const parsed = receiverRefs.safeParse(doc["default"]);
    checkRefs(doc["default"], ["default"]);
    if (!parsed.success) reportIssues(parsed.error.issues, ["default"], report);
    else routing.defaultReceivers = [...new Set(parsed.data)];
  }

  // Fallbacks: they must exist and must not lead back to where they started.
  const fallbackOf = new Map<string, string>();
  for (const [name, body] of Object.entries(isMapping(rawReceivers) ? rawReceivers : {})) {
    const fallback = isMapping(body) && typeof body["fallback"] === "string" ? body["fallback"] : undefined;
    if (fallback === undefined) continue;
    if (!declared.has(fallback)) report(["receivers", name, "fallback"], unknownReceiver(fallback));
    else fallbackOf.set(name, fallback);
  }
  const reportedLoops = new Set<string>();
  for (const start of fallbackOf.keys()) {
    const chain = [start];
    for (let next = fallbackOf.get(start); next !== undefined; next = fallbackOf.get(next)) {
      const seenAt = chain.indexOf(next);
      if (seenAt >= 0) {
        const loop = chain.slice(seenAt);
        const id = [...loop].sort().join(" ");
        if (!reportedLoops.has(id)) {
          reportedLoops.add(id);
          const first = loop[0] as string;
          report(["receivers", first, "fallback"], `fallbacks go round in a circle (${[...loop, first].join(" → ")}); a fallback chain must end`);
        }
        break;
      }
      chain.push(next);
    }
  }

  // Silences.
  const rawSilences = doc["silences"];
  if (rawSilences !== undefined && rawSilences !== null && !Array.isArray(rawSilences)) {
    report(["silences"], "must be a list of silences: - { name, matchers, starts + ends or weekly }");
  } else {
    const names = new Set<string>();
    (rawSilences ?? []).forEach((body: unknown, i: number) => {
      const parsed = silenceSchema.safeParse(body);
      if (!parsed.success) {
        reportIssues(parsed.error.issues, ["silences", i], report);
        return;
      }
      const s = parsed.data;
      const path = ["silences", i];
      let ok = true;
      if (names.has(s.name)) {
        report([...path, "name"], `"${s.name}" names another silence too; names must be unique`);
        ok = false;
      }
      names.add(s.name);
      if (!s.weekly && (s.starts === undefined || s.ends === undefined)) {
        report(path, "needs starts and ends (ISO 8601 with offset), or a weekly window { days, start, end, timeZone }");
        ok = false;
      }
      if (s.starts && s.ends && s.ends <= s.starts) {
        report([...path, "ends"], "must be after starts");
        ok = false;
      }
      if (s.weekly && s.weekly.start === s.weekly.end) {
        report([...path, "weekly", "end"], 'must differ from start (for a whole day use start "00:00", end "24:00")');
        ok = false;
      }
      if (!ok) return;
      routing.silences.push({
        name: s.name,
        matchers: s.matchers ?? {},
        ...(s.starts ? { starts: s.starts } : {}),
        ...(s.ends ? { ends: s.ends } : {}),
        ...(s.weekly ? { weekly: s.weekly } : {}),
      });
    });
  }
  return routing;
}

function readWebhookUrl(
  spec: { url?: string | undefined; urlFrom?: string | undefined },
  values: RoutingInput["values"],
  path: readonly PathKey[],
  report: Report,
): { url: WebhookUrl; urlFrom?: string } | undefined {
  if ((spec.url === undefined) === (spec.urlFrom === undefined)) {
    report(path, "give the webhook URL exactly one way: urlFrom (the name of a setting holding it, e.g. a Key Vault reference) or url");
    return undefined;
  }
  if (spec.urlFrom !== undefined) {
    const value = values[spec.urlFrom]?.trim();
    if (!value) {
      report([...path, "urlFrom"], `the setting ${spec.urlFrom} is not set; it must hold this receiver's Teams Workflows webhook URL`);
      return undefined;
    }
    const checked = checkWebhookUrl(value);
    if ("problem" in checked) {
      report([...path, "urlFrom"], `the setting ${spec.urlFrom} ${checked.problem}`);
      return undefined;
    }
    return { url: checked.url, urlFrom: spec.urlFrom };
  }
  const checked = checkWebhookUrl((spec.url as string).trim());
  if ("problem" in checked) {
    report([...path, "url"], checked.problem);
    return undefined;
  }
  return { url: checked.url };
}

/** One problem per zod issue; one per unknown field. */
function reportIssues(issues: readonly z.core.$ZodIssue[], base: readonly PathKey[], report: Report): void {
  for (const issue of issues) {
    const path = [...base, ...issue.path.map((k) => (typeof k === "symbol" ? String(k) : k))];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) report([...path, key], `unknown field; ${issue.message}`);
    } else {
      report(path, issue.message);
    }
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Receiver and monitor names: lower-case letters, digits, dashes; 1-40
 * characters. Declared here, where receivers are named; the ledger keys rows
 * by these names and holds them to the same rule.
 */
export const PERMANENT_NAME_PATTERN = /^[a-z0-9-]{1,40}$/;

function isPermanentId(name: string): boolean {
  return PERMANENT_NAME_PATTERN.test(name);
}

/** `routes[1].receivers[0]`, `receivers.oncall-teams.urlFrom`. */
function formatPath(path: readonly PathKey[]): string {
  if (path.length === 0) return "(top level)";
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}
