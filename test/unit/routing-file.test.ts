import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it, test } from "vitest";
import { ConfigError, parseSettings } from "../../shared/config/index.js";
import { parseRouting, ROUTABLE_KINDS } from "../../shared/config/routing-file.js";
import { defaultRouting } from "../../shared/config/settings.js";
import { webhookUrl } from "../support/webhook-url.js";

const ONCALL_URL = "https://prod-01.westeurope.logic.azure.com/workflows/oncall/triggers/manual/paths/invoke?sig=oncall-sig-value";
const TEAM_URL = "https://prod-02.westeurope.logic.azure.com/workflows/team/triggers/manual/paths/invoke?sig=team-sig-value";

const YAML_ROUTES = `
# critical to on-call Teams + mailbox, warnings to a team channel
receivers:
  oncall-teams:
    type: teams-workflows
    urlFrom: TEAMS_WEBHOOK_ONCALL
    fallback: oncall-mail
  oncall-mail:
    type: email
    to: [oncall@contoso.com, backup-admins@contoso.com]
  team-channel:
    type: teams-workflows
    url: "${TEAM_URL}"
routes:
  - matchers: { severity: critical }
    receivers: [oncall-teams, oncall-mail]
  - matchers:
      severity: warning
      kind: [job, license]
      service: [exchange online, SharePoint Online]
      tenant: Contoso
    receivers: team-channel
    continue: true
default: [team-channel]
silences:
  - name: sunday-maintenance
    weekly: { days: [sun], start: "02:00", end: "06:00", timeZone: Europe/Berlin }
  - name: exchange-migration
    matchers: { service: Exchange Online }
    starts: 2026-05-04T22:00:00+02:00
    ends: 2026-05-05T01:00:00+02:00
`;

const JSON_ROUTES = JSON.stringify({
  receivers: {
    "oncall-teams": { type: "teams-workflows", urlFrom: "TEAMS_WEBHOOK_ONCALL", fallback: "oncall-mail" },
    "oncall-mail": { type: "email", to: ["oncall@contoso.com", "backup-admins@contoso.com"] },
    "team-channel": { type: "teams-workflows", url: TEAM_URL },
  },
  routes: [
    { matchers: { severity: "critical" }, receivers: ["oncall-teams", "oncall-mail"] },
    {
      matchers: { severity: "warning", kind: ["job", "license"], service: ["exchange online", "SharePoint Online"], tenant: "Contoso" },
      receivers: "team-channel",
      continue: true,
    },
  ],
  default: ["team-channel"],
  silences: [
    { name: "sunday-maintenance", weekly: { days: ["sun"], start: "02:00", end: "06:00", timeZone: "Europe/Berlin" } },
    { name: "exchange-migration", matchers: { service: "Exchange Online" }, starts: "2026-05-04T22:00:00+02:00", ends: "2026-05-05T01:00:00+02:00" },
  ],
});

function parse(values: Record<string, string>, files: Record<string, string> = {}) {
  const parsed = parseRouting({
    values: { TEAMS_WEBHOOK_ONCALL: ONCALL_URL, ...values },
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
      return text;
    },
  });
  if (!parsed) throw new Error("neither ALERT_ROUTES_FILE nor ALERT_ROUTES was given");
  return parsed;
}

/** What a routing means, with secrets revealed for comparison. */
function meaning(result: NonNullable<ReturnType<typeof parseRouting>>) {
  const { routing } = result;
  return {
    ...routing,
    source: "(any)",
    receivers: routing.receivers.map((r) => (r.type === "teams-workflows" ? { ...r, url: r.url.reveal() } : r)),
  };
}

describe("routing file: JSON and YAML", () => {
  const yaml = parse({ ALERT_ROUTES_FILE: "/etc/alerts/routes.yaml" }, { "/etc/alerts/routes.yaml": YAML_ROUTES });
  const json = parse({ ALERT_ROUTES_FILE: "/etc/alerts/routes.json" }, { "/etc/alerts/routes.json": JSON_ROUTES });
  const inline = parse({ ALERT_ROUTES: JSON_ROUTES });

  it("reads the YAML file", () => {
    expect(yaml.problems).toEqual([]);
    expect(meaning(yaml)).toEqual({
      source: "(any)",
      receivers: [
        { name: "oncall-teams", type: "teams-workflows", url: ONCALL_URL, urlFrom: "TEAMS_WEBHOOK_ONCALL", fallback: "oncall-mail" },
        { name: "oncall-mail", type: "email", to: ["oncall@contoso.com", "backup-admins@contoso.com"] },
        { name: "team-channel", type: "teams-workflows", url: TEAM_URL },
      ],
      routes: [
        { matchers: { severity: ["critical"] }, receivers: ["oncall-teams", "oncall-mail"], continue: false },
        { matchers: { severity: ["warning"], kind: ["job", "license"], service: [1, 2], tenant: ["Contoso"] }, receivers: ["team-channel"], continue: true },
      ],
      defaultReceivers: ["team-channel"],
      silences: [
        { name: "sunday-maintenance", matchers: {}, weekly: { days: ["sunday"], start: "02:00", end: "06:00", timeZone: "Europe/Berlin" } },
        { name: "exchange-migration", matchers: { service: [1] }, starts: new Date("2026-05-04T20:00:00Z"), ends: new Date("2026-05-04T23:00:00Z") },
      ],
    });
    expect(yaml.routing.source).toBe("ALERT_ROUTES_FILE");
  });

  it("reads the same routing from a JSON file and from ALERT_ROUTES inline", () => {
    expect(json.problems).toEqual([]);
    expect(inline.problems).toEqual([]);
    expect(meaning(json)).toEqual(meaning(yaml));
    expect(meaning(inline)).toEqual(meaning(yaml));
    expect(inline.routing.source).toBe("ALERT_ROUTES");
  });

  it("keeps webhook URLs as Secrets", () => {
    const text = inspect(yaml.routing, { depth: 10 }) + JSON.stringify(yaml.routing);
    expect(text).not.toContain("oncall-sig-value");
    expect(text).not.toContain("team-sig-value");
  });

  it("reads a real file from disk", () => {
    const dir = mkdtempSync(join(tmpdir(), "routes-"));
    writeFileSync(join(dir, "routes.yml"), YAML_ROUTES);
    const fromDisk = parseRouting({ values: { ALERT_ROUTES_FILE: join(dir, "routes.yml"), TEAMS_WEBHOOK_ONCALL: ONCALL_URL } })!;
    expect(fromDisk.problems).toEqual([]);
    expect(meaning(fromDisk)).toEqual(meaning(yaml));
  });
});

describe("routing file: every mistake reported, one problem each", () => {
  const BROKEN = `receivers:
  oncall-teams:
    type: teams-workflows
    urlFrom: TEAMS_WEBHOOK_MISSING
    fallback: oncall-mail
  oncall-mail:
    type: email
    to: [oncall@contoso.com, not-an-address]
    fallback: oncall-teams
  Team Channel:
    type: teams-workflows
    url: "http://example.com/workflows/x?sig=leaky-sig"
  pager:
    type: sms
routes:
  - matchers: { severity: critcal, service: Exchange }
    receivers: [oncall-teams, on-call-mail]
  - receivers: []
    continu: true
default: nobody
silences:
  - name: sunday
    weekly: { days: [sunday, funday], start: "2:00", end: "06:00", timeZone: Europe/Berlinn }
  - name: forever
    starts: 2026-05-04T22:00:00
colour: blue
`;
  const { problems } = parse({ ALERT_ROUTES_FILE: "routes.yaml" }, { "routes.yaml": BROKEN });

  it("lists each mistake with its place in the file and what is expected, in file order", () => {
    expect(problems.map((p) => p.message)).toEqual([
      "receivers.oncall-teams.urlFrom (line 4): the setting TEAMS_WEBHOOK_MISSING is not set; it must hold this receiver's Teams Workflows webhook URL",
      "receivers.oncall-teams.fallback (line 5): fallbacks go round in a circle (oncall-teams → oncall-mail → oncall-teams); a fallback chain must end",
      "receivers.oncall-mail.to[1] (line 8): must be an email address such as oncall@contoso.com",
      'receivers["Team Channel"] (line 11): "Team Channel" is not a valid receiver name: use 1-40 of a-z, 0-9 and "-" (it is a permanent id)',
      "receivers[\"Team Channel\"].url (line 12): must be an https URL (plain http only to 127.0.0.1, localhost or [::1])",
      "receivers.pager.type (line 14): type must be teams-workflows, email or teams-bot",
      'routes[0].matchers.severity[0] (line 16): "critcal" is not a severity; expected one of critical, warning, info',
      'routes[0].matchers.service[0] (line 16): "Exchange" is not a service; expected one of Exchange Online, SharePoint Online, OneDrive, Microsoft 365 Groups, Project Online, Public Folder, Teams, Viva Engage, Teams Chat, Power BI, Power Automate, Power Apps',
      'routes[0].receivers[1] (line 17): "on-call-mail" is not a declared receiver; declared: oncall-teams, oncall-mail, Team Channel, pager',
      "routes[1].receivers (line 18): must list at least one receiver name",
      "routes[1].continu (line 19): unknown field; expected only: matchers, receivers, continue",
      'default (line 20): "nobody" is not a declared receiver; declared: oncall-teams, oncall-mail, Team Channel, pager',
      'silences[0].weekly.days[1] (line 23): "funday" is not a weekday; expected monday ... sunday (or mon ... sun)',
      'silences[0].weekly.start (line 23): must be a local time "HH:MM" from 00:00 to 24:00',
      "silences[0].weekly.timeZone (line 23): is not a known IANA time zone (such as Europe/Berlin or America/New_York)",
      "silences[1].starts (line 25): must be an ISO 8601 date and time with its offset, such as 2026-04-05T02:00:00+02:00 or ...Z",
      "colour (line 26): unknown field; expected only: receivers, routes, default, silences",
    ]);
    expect(new Set(problems.map((p) => p.variable))).toEqual(new Set(["ALERT_ROUTES_FILE"]));
  });

  it("never quotes a webhook URL", () => {
    expect(JSON.stringify(problems)).not.toContain("leaky-sig");
  });

  test.each([
    ["a receiver falling back to itself", { receivers: { a: { type: "email", to: "a@b.co", fallback: "a" } }, default: "a" }, ["receivers.a.fallback: fallbacks go round in a circle (a → a); a fallback chain must end"]],
    ["a fallback nobody declared", { receivers: { a: { type: "email", to: "a@b.co", fallback: "b" } }, default: "a" }, ['receivers.a.fallback: "b" is not a declared receiver; declared: a']],
    ["a chain that ends is fine", { receivers: { a: { type: "email", to: "a@b.co", fallback: "b" }, b: { type: "email", to: "b@b.co", fallback: "c" }, c: { type: "email", to: "c@b.co" } }, default: "a" }, []],
    ["the reserved receiver name", { receivers: { silenced: { type: "email", to: "a@b.co" } }, default: "silenced" }, ['receivers.silenced: "silenced" is reserved (the ledger records silenced alerts under it); choose another name']],
    ["no receivers, no default", {}, ["receivers: must declare at least one receiver: a mapping of name → { type: teams-workflows | email | teams-bot, ... }", "default: is required: the receivers of alerts no route matches, e.g. default: [team-channel]"]],
    ["a webhook given two ways", { receivers: { a: { type: "teams-workflows", url: TEAM_URL, urlFrom: "X" } }, default: "a" }, ["receivers.a: give the webhook URL exactly one way: urlFrom (the name of a setting holding it, e.g. a Key Vault reference) or url"]],
    ["a webhook given no way", { receivers: { a: { type: "teams-workflows" } }, default: "a" }, ["receivers.a: give the webhook URL exactly one way: urlFrom (the name of a setting holding it, e.g. a Key Vault reference) or url"]],
    ["a silence without an end", { receivers: { a: { type: "email", to: "a@b.co" } }, default: "a", silences: [{ name: "s", starts: "2026-05-04T22:00:00Z" }] }, ["silences[0]: needs starts and ends (ISO 8601 with offset), or a weekly window { days, start, end, timeZone }"]],
    ["a silence ending before it starts", { receivers: { a: { type: "email", to: "a@b.co" } }, default: "a", silences: [{ name: "s", starts: "2026-05-04T22:00:00Z", ends: "2026-05-04T21:00:00Z" }] }, ["silences[0].ends: must be after starts"]],
    ["two silences of one name", { receivers: { a: { type: "email", to: "a@b.co" } }, default: "a", silences: [{ name: "s", starts: "2026-05-04T20:00:00Z", ends: "2026-05-04T21:00:00Z" }, { name: "s", starts: "2026-05-04T20:00:00Z", ends: "2026-05-04T21:00:00Z" }] }, ['silences[1].name: "s" names another silence too; names must be unique']],
    ["an empty weekly window", { receivers: { a: { type: "email", to: "a@b.co" } }, default: "a", silences: [{ name: "s", weekly: { days: "mon", start: "02:00", end: "02:00", timeZone: "UTC" } }] }, ['silences[0].weekly.end: must differ from start (for a whole day use start "00:00", end "24:00")']],
    ["an unknown alert kind", { receivers: { a: { type: "email", to: "a@b.co" } }, default: "a", routes: [{ matchers: { kind: "jobs" }, receivers: "a" }] }, [`routes[0].matchers.kind[0]: "jobs" is not an alert kind; expected one of ${ROUTABLE_KINDS.join(", ")}`]],
    ["routes that are not a list", { receivers: { a: { type: "email", to: "a@b.co" } }, default: "a", routes: { a: 1 } }, ["routes: must be a list of routes: - { matchers: {...}, receivers: [...], continue: true|false }"]],
    ["not a mapping at all", ["a"], ["(top level): must be a mapping with receivers, routes, default and silences"]],
  ])("inline: %s", (_case, doc, expected) => {
    expect(parse({ ALERT_ROUTES: JSON.stringify(doc) }).problems.map((p) => p.message)).toEqual(expected);
  });

  it("reports a YAML syntax error with its line and column, without quoting the source", () => {
    const { problems: syntax } = parse({ ALERT_ROUTES_FILE: "r.yaml" }, { "r.yaml": `receivers:\n  a: { type: teams-workflows, url: "${TEAM_URL}"\ndefault: a\n` });
    expect(syntax.length).toBeGreaterThan(0);
    for (const p of syntax) expect(p.message).toMatch(/^line \d+, column \d+: /);
    expect(JSON.stringify(syntax)).not.toContain("team-sig-value");
  });

  it("reports a receiver declared twice (JSON.parse would have kept the last)", () => {
    const { problems: dup } = parse({ ALERT_ROUTES_FILE: "r.json" }, { "r.json": '{"receivers": {"a": {"type": "email", "to": "a@b.co"}, "a": {"type": "email", "to": "c@d.co"}}, "default": "a"}' });
    expect(dup.map((p) => p.message)).toEqual([expect.stringMatching(/^line 1, column \d+: Map keys must be unique/)]);
  });

  it("reports an unreadable file", () => {
    expect(parse({ ALERT_ROUTES_FILE: "/nowhere.yaml" }).problems).toEqual([
      { variable: "ALERT_ROUTES_FILE", message: `cannot read the routing file "/nowhere.yaml": ENOENT: no such file, open '/nowhere.yaml'` },
    ]);
  });

  it("refuses a file and inline routing together", () => {
    expect(parse({ ALERT_ROUTES_FILE: "r.yaml", ALERT_ROUTES: "{}" }).problems).toEqual([
      { variable: "ALERT_ROUTES_FILE, ALERT_ROUTES", message: "set one of them: a routing file, or the same routing inline as JSON" },
    ]);
  });

  it("checks the value of a urlFrom setting without quoting it", () => {
    const { problems: bad } = parse({
      ALERT_ROUTES: JSON.stringify({ receivers: { a: { type: "teams-workflows", urlFrom: "HOOK" } }, default: "a" }),
      HOOK: "https://contoso.webhook.office.com/webhookb2/x/IncomingWebhook/secret-part",
    });
    expect(bad.map((p) => p.message)).toEqual([expect.stringMatching(/^receivers\.a\.urlFrom: the setting HOOK is a legacy Office 365 connector URL/)]);
    expect(JSON.stringify(bad)).not.toContain("secret-part");
  });
});

describe("without a routing file", () => {
  const url = webhookUrl(ONCALL_URL);
  test.each([
    ["Teams only", { teamsWebhookUrl: url }, ["teams"]],
    ["email only", { emailTo: ["oncall@contoso.com"] }, ["email"]],
    ["both", { teamsWebhookUrl: url, emailTo: ["oncall@contoso.com"] }, ["teams", "email"]],
    ["the Teams bot", { teamsBot: true }, ["teams-bot"]],
    ["neither", {}, []],
  ] as const)("%s: the configured receivers form the default route", (_case, input, names) => {
    expect(parseRouting({ values: {} })).toBeUndefined(); // no routing file: nothing to parse, no problems
    const routing = defaultRouting(input);
    expect(routing.source).toBe("default");
    expect(routing.routes).toEqual([]);
    expect(routing.silences).toEqual([]);
    expect(routing.defaultReceivers).toEqual(names);
    expect(routing.receivers.map((r) => r.name)).toEqual(names);
  });

  it("names the settings its receivers come from", () => {
    expect(defaultRouting({ teamsWebhookUrl: url, emailTo: ["a@b.co"] }).receivers).toEqual([
      { name: "teams", type: "teams-workflows", url, urlFrom: "TEAMS_WEBHOOK_URL" },
      { name: "email", type: "email", to: ["a@b.co"] },
    ]);
  });
});

describe("through the settings loader", () => {
  const base = {
    AVEPOINT_CLIENT_ID: "app-1",
    AVEPOINT_CLIENT_SECRET: "s3cr3t-value",
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
  };

  it("reports routing mistakes as ConfigError problems of ALERT_ROUTES_FILE, with the other settings' problems", () => {
    const dir = mkdtempSync(join(tmpdir(), "routes-"));
    const file = join(dir, "routes.yaml");
    writeFileSync(file, "receivers:\n  oncall: { type: email, to: oncall@contoso.com }\nroutes:\n  - matchers: { severity: urgent }\n    receivers: [pager]\ndefault: oncall\n");
    let error: unknown;
    try {
      parseSettings({ ...base, ALERT_ROUTES_FILE: file, LOG_LEVEL: "loud" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        { variable: "LOG_LEVEL", message: expect.stringContaining("must be one of") },
        { variable: "ALERT_ROUTES_FILE", message: 'routes[0].matchers.severity[0] (line 4): "urgent" is not a severity; expected one of critical, warning, info' },
        { variable: "ALERT_ROUTES_FILE", message: 'routes[0].receivers[0] (line 5): "pager" is not a declared receiver; declared: oncall' },
        { variable: "ALERT_ROUTES_FILE", message: expect.stringContaining("receivers.oncall: an email receiver needs the email settings") },
      ]),
    );
    // A routing file is a receiver: no "no receiver" problem.
    expect(problems.some((p) => p.message.includes("no receiver"))).toBe(false);
  });

  it("builds the default route from TEAMS_WEBHOOK_URL without a routing file", () => {
    const settings = parseSettings({ ...base, TEAMS_WEBHOOK_URL: TEAM_URL });
    expect(settings.routing.source).toBe("default");
    expect(settings.routing.defaultReceivers).toEqual(["teams"]);
  });

  it("resolves urlFrom against any setting, and keeps the URL out of errors and inspection", () => {
    const settings = parseSettings({
      ...base,
      ALERT_ROUTES: JSON.stringify({ receivers: { oncall: { type: "teams-workflows", urlFrom: "TEAMS_WEBHOOK_ONCALL" } }, default: "oncall" }),
      TEAMS_WEBHOOK_ONCALL: ONCALL_URL,
    });
    const [oncall] = settings.routing.receivers;
    expect(oncall?.type === "teams-workflows" && oncall.url.reveal()).toBe(ONCALL_URL);
    expect(inspect(settings, { depth: 10 })).not.toContain("oncall-sig-value");
  });
});
