/**
 * `npm run check-config`, run in-process with its settings, files and clock
 * injected: a valid configuration prints the routing tree with secrets masked;
 * a sample alert shows where it would go; mistakes exit 2 with each listed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { main, parseSampleAlert } from "../../cli/check-config.js";
import type { OperatorIo } from "../../cli/operator-io.js";
import { createTestCertificate } from "../support/certificates.js";
import { AvePointSimulator } from "../simulator/index.js";

const dir = mkdtempSync(join(tmpdir(), "check-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let simulator: AvePointSimulator | undefined;
afterEach(async () => {
  await simulator?.stop();
  simulator = undefined;
});

const SIG = "Zx9SECRETSIGNATUREvalue0123456789";
const ONCALL_HOOK = `https://prod-12.westeurope.logic.azure.com:443/workflows/1f2e3d/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;
const TEAM_HOOK = "https://prod-34.northeurope.logic.azure.com/workflows/team/triggers/manual/paths/invoke?sig=TEAMSIGNATURE42";
const SMTP_PASSWORD = "smtp-pa55word-value";
const CLIENT_SECRET = "client-s3cret-value";
// Sunday 29 November 2026, 03:00 in Berlin: inside the maintenance window.
const SUNDAY_0300_BERLIN = new Date("2026-11-29T02:00:00Z");

const ROUTES_YAML = `receivers:
  oncall-teams: { type: teams-workflows, urlFrom: TEAMS_WEBHOOK_ONCALL, fallback: oncall-mail }
  oncall-mail:  { type: email, to: [oncall@contoso.com, backup-lead@contoso.com] }
  team:         { type: teams-workflows, url: "${TEAM_HOOK}" }
routes:
  - matchers: { severity: critical }
    receivers: [oncall-teams, oncall-mail]
    continue: true
  - matchers: { service: Exchange Online }
    receivers: [team]
default: [team]
silences:
  - name: sunday-maintenance
    matchers: { service: SharePoint Online }
    weekly: { days: [sunday], start: "02:00", end: "06:00", timeZone: Europe/Berlin }
`;

function routesFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AVEPOINT_CLIENT_ID: "0b5e7a1c-client",
    AVEPOINT_CLIENT_SECRET: CLIENT_SECRET,
    ALERTS_STORAGE: "UseDevelopmentStorage=true",
    ALERT_TENANT_NAME: "Contoso",
    ALERT_ROUTES_FILE: routesFile("routes.yaml", ROUTES_YAML),
    TEAMS_WEBHOOK_ONCALL: ONCALL_HOOK,
    EMAIL_TO: "fallback@contoso.com",
    EMAIL_FROM: "alerts@contoso.com",
    SMTP_HOST: "smtp.contoso.com",
    SMTP_USER: "alerts",
    SMTP_PASSWORD,
    ...overrides,
  };
}

function io(values: Record<string, string>, now = SUNDAY_0300_BERLIN): OperatorIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return { env: values, localSettingsDir: null, now: () => now, stdout: (t) => out.push(t), stderr: (t) => err.push(t), out: () => out.join(""), err: () => err.join("") };
}

describe("a valid configuration", () => {
  it("prints the effective routing tree with secrets masked (exit 0)", async () => {
    const run = io(env());
    expect(await main([], run)).toBe(0);
    const out = run.out();
    expect(run.err()).toBe("");
    expect(out).toMatch(/^Configuration is valid\./);
    // Receivers with kind and masked target, fallbacks.
    expect(out).toMatch(/oncall-teams +teams-workflows +webhook host prod-12\.westeurope\.logic\.azure\.com \(URL from TEAMS_WEBHOOK_ONCALL\); fallback: oncall-mail/);
    expect(out).toMatch(/oncall-mail +email +oncall@contoso\.com, backup-lead@contoso\.com/);
    expect(out).toMatch(/team +teams-workflows +webhook host prod-34\.northeurope\.logic\.azure\.com\n/);
    // Routes in order, default, fallbacks.
    expect(out).toContain("    1. severity=critical \u2192 oncall-teams, oncall-mail (continue)\n    2. service=Exchange Online \u2192 team\n");
    expect(out).toContain("  Default \u2192 team\n");
    expect(out).toContain("  Fallbacks: oncall-teams \u2192 oncall-mail\n");
    // The silence with its window, worked out with the injected clock.
    expect(out).toContain("sunday-maintenance: every sunday 02:00\u201306:00 Europe/Berlin; matches service=SharePoint Online");
    expect(out).toContain("IN FORCE NOW: 2026-11-29 01:00 UTC \u2013 2026-11-29 05:00 UTC (Sun 29 Nov 02:00\u201306:00 Europe/Berlin); ends in 3 h");
    expect(out).toContain("Credential     client secret (expiry not given");
    expect(out).toContain("SMTP smtp.contoso.com:587, from alerts@contoso.com");
    // No secret, nor any part of a webhook beyond its host.
    for (const secret of [SIG, "TEAMSIGNATURE42", "/workflows/", "sig=", SMTP_PASSWORD, CLIENT_SECRET, "UseDevelopmentStorage"]) expect(out).not.toContain(secret);
  });

  it("after the window, shows the next one", async () => {
    const run = io(env(), new Date("2026-11-29T06:00:00Z"));
    expect(await main([], run)).toBe(0);
    expect(run.out()).toContain("next: 2026-12-06 01:00 UTC \u2013 2026-12-06 05:00 UTC (Sun 6 Dec 02:00\u201306:00 Europe/Berlin); starts in 6 d 19 h");
  });

  it("reads the AvePoint certificate without any request, and says when it expires", async () => {
    const cert = createTestCertificate({ notAfter: new Date("2027-03-31T12:00:00Z") });
    const run = io(env({ AVEPOINT_CLIENT_SECRET: "", AVEPOINT_CERTIFICATE: cert.combinedPem }));
    expect(await main([], run)).toBe(0);
    expect(run.out()).toMatch(/Credential +certificate from AVEPOINT_CERTIFICATE, subject CN=cloud-backup-alerts-test, expires 2027-03-31 12:00 UTC/);
    expect(run.out()).not.toContain("PRIVATE KEY");
    expect(run.out()).not.toContain("BEGIN CERTIFICATE");
  });

  it("warns when the certificate expires within CREDENTIAL_WARN_DAYS", async () => {
    const cert = createTestCertificate({ notAfter: new Date("2026-12-09T02:00:00Z") });
    const path = join(dir, "soon.pem");
    writeFileSync(path, cert.combinedPem);
    const run = io(env({ AVEPOINT_CLIENT_SECRET: "", AVEPOINT_CERTIFICATE_PATH: path }));
    expect(await main([], run)).toBe(0);
    expect(run.out()).toContain("warning: the AvePoint certificate expires in 10 d (2026-12-09 02:00 UTC): renew it soon");
  });
});

describe("the ledger's storage (ALERTS_STORAGE)", () => {
  it("says which setting it read and how, never quoting a connection string; the settings it replaced exit 2 naming it", async () => {
    const key = "QUNDT1VOVEtFWXNlY3JldA==";
    const connection = io(env({ ALERTS_STORAGE: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net` }));
    expect(await main([], connection)).toBe(0);
    expect(connection.out()).toMatch(/Ledger +Table Storage, connection string from ALERTS_STORAGE;/);
    expect(connection.out() + connection.err()).not.toContain(key);

    const identity = io(env({ ALERTS_STORAGE: "https://acct.table.core.windows.net/" }));
    expect(await main([], identity)).toBe(0);
    expect(identity.out()).toMatch(/Ledger +Table Storage at acct\.table\.core\.windows\.net \(managed identity\)/);

    const old = io(env({ ALERTS_STORAGE_CONNECTION: `AccountName=acct;AccountKey=${key}` }));
    expect(await main([], old)).toBe(2);
    expect(old.err()).toMatch(/ALERTS_STORAGE_CONNECTION: was removed: .*ALERTS_STORAGE\b/);
    expect(old.out() + old.err()).not.toContain(key);
  });
});

describe("a sample alert", () => {
  it("shows the routes it matches, the receivers it would reach and that no silence applies", async () => {
    const run = io(env());
    expect(await main(["--test", "kind=job,severity=critical,service=Exchange"], run)).toBe(0);
    expect(run.out()).toContain(
      [
        "Sample alert: kind=job severity=critical service=Exchange Online tenant=Contoso",
        "  matches route 1, 2",
        "  would reach: oncall-teams (teams-workflows), oncall-mail (email), team (teams-workflows)",
        "  no silence applies now",
      ].join("\n"),
    );
  });

  it("says when a silence holds it back now", async () => {
    const run = io(env());
    expect(await main(["--test=kind=job,severity=warning,service=sharepoint,tenant=CONTOSO"], run)).toBe(0);
    expect(run.out()).toContain("  matches no route: the default receivers\n  would reach: team (teams-workflows)\n");
    expect(run.out()).toContain('  held back now by silence "sunday-maintenance" until 2026-11-29 05:00 UTC: recorded, then listed in the summary after it');
  });

  it("reads services by number, name or a unique part of the name", () => {
    expect(parseSampleAlert("service=exchange", "T").alert.service).toBe(1);
    expect(parseSampleAlert("service=1", "T").alert.service).toBe(1);
    expect(parseSampleAlert("service=groups", "T").alert.service).toBe(4);
    expect(parseSampleAlert("service=Teams", "T").alert.service).toBe(7); // the whole name wins over "Teams Chat"
    expect(parseSampleAlert("service=Online", "T").problems[0]).toMatch(/could be Exchange Online or SharePoint Online/);
  });

  it("refuses a sample it cannot read, listing each mistake (exit 2)", async () => {
    const run = io(env());
    expect(await main(["--test", "kind=jobs,severity=urgent,service=Dropbox,color=red"], run)).toBe(2);
    const err = run.err();
    expect(err).toContain("Invalid configuration (4 problems)");
    for (const text of ['kind "jobs" is not an alert kind', 'severity "urgent" is not one of', 'service "Dropbox" is not known', '"color" is not a field']) expect(err).toContain(text);
    expect(run.out()).toBe("");
  });
});

describe("configuration errors", () => {
  it("lists every mistake of the settings and the routing file at once (exit 2), quoting no secret", async () => {
    const broken = `receivers:
  oncall-teams: { type: teams-workflows, url: "http://example.com/hook?sig=${SIG}" }
  silenced: { type: email, to: oncall@contoso.com }
routes:
  - matchers: { severity: urgent }
    receivers: [nobody]
default: [oncall-teams]
silences:
  - name: m
    weekly: { days: [funday], start: "02:00", end: "06:00", timeZone: Mars/Olympus }
`;
    const run = io(env({ ALERT_ROUTES_FILE: routesFile("broken.yaml", broken), LICENSE_WARN_PERCENT: "lots" }));
    expect(await main([], run)).toBe(2);
    const err = run.err();
    for (const text of [
      "LICENSE_WARN_PERCENT",
      "receivers.oncall-teams.url (line 2): must be an https URL",
      'receivers.silenced (line 3): "silenced" is reserved',
      'routes[0].matchers.severity[0] (line 5): "urgent" is not a severity',
      'routes[0].receivers[0] (line 6): "nobody" is not a declared receiver',
      '"funday" is not a weekday',
      "is not a known IANA time zone",
    ]) {
      expect(err).toContain(text);
    }
    expect(err).not.toContain(SIG);
    expect(run.out()).toBe("");
  });

  it("an unreadable or expired certificate is a configuration error (exit 2)", async () => {
    const missing = io(env({ AVEPOINT_CLIENT_SECRET: "", AVEPOINT_CERTIFICATE_PATH: join(dir, "absent.pfx") }));
    expect(await main([], missing)).toBe(2);
    expect(missing.err()).toMatch(/AVEPOINT_CERTIFICATE_PATH: the certificate cannot be loaded: cannot read the certificate file .*absent\.pfx \(ENOENT\)/);

    const cert = createTestCertificate({ notAfter: new Date("2026-11-01T00:00:00Z") });
    const expired = io(env({ AVEPOINT_CLIENT_SECRET: "", AVEPOINT_CERTIFICATE: cert.combinedPem }));
    expect(await main([], expired)).toBe(2);
    expect(expired.err()).toContain("AVEPOINT_CERTIFICATE: the certificate expired on 2026-11-01 00:00 UTC");
    expect(expired.err()).not.toContain("PRIVATE KEY");
  });
});

describe("optional permissions of the health rules", () => {
  it("in the current profile (and auto, which most likely finds it), one info line per permission to grant; none in the seed profile", async () => {
    const current = io(env({ AVEPOINT_API_PROFILE: "current" }));
    expect(await main([], current)).toBe(0);
    expect(current.out()).toContain(
      "info: missed scheduled backups (BACKUP_START_GRACE_MINUTES) needs the permission microsoft365backup.settings.read.all: grant it to the AvePoint app registration; until then that rule stays quiet (check with --online)",
    );
    expect(current.out()).toContain("info: unusual activity (ALERT_UNUSUAL_ACTIVITY) needs the permission microsoft365backup.unusualActivity.read.all");

    const switchedOff = io(env({ AVEPOINT_API_PROFILE: "current", ALERT_UNUSUAL_ACTIVITY: "false", BACKUP_START_GRACE_MINUTES: "0" }));
    expect(await main([], switchedOff)).toBe(0);
    expect(switchedOff.out()).not.toContain("info:");

    const seed = io(env({ AVEPOINT_API_PROFILE: "seed" }));
    expect(await main([], seed)).toBe(0);
    expect(seed.out()).not.toContain("info:");

    const auto = io(env());
    expect(await main([], auto)).toBe(0);
    expect(auto.out()).toContain("info: unusual activity (ALERT_UNUSUAL_ACTIVITY) needs the permission microsoft365backup.unusualActivity.read.all");
  });

  it("--online asks the token endpoint for each permission and reports granted / not granted", async () => {
    simulator = await AvePointSimulator.start({
      clientId: "0b5e7a1c-client",
      clientSecret: CLIENT_SECRET,
      grantedScopes: ["microsoft365backup.jobInfo.read.all", "microsoft365backup.subscriptionInfo.read.all", "microsoft365backup.settings.read.all"],
    });
    const run = io(env({ AVEPOINT_API_PROFILE: "current", AVEPOINT_API_URL: simulator.url, AVEPOINT_TOKEN_URL: simulator.tokenUrl }));
    expect(await main(["--online"], run)).toBe(0);
    expect(run.out()).toContain("online: microsoft365backup.settings.read.all: granted");
    expect(run.out()).toMatch(/online: microsoft365backup\.unusualActivity\.read\.all: NOT granted \(.*invalid_scope.*\): unusual activity \(ALERT_UNUSUAL_ACTIVITY\) stays quiet/);
    expect(run.out()).toContain("online: microsoft365backup.jobInfo.read.all: granted");
    expect(run.out()).toContain("online: microsoft365backup.subscriptionInfo.read.all: granted");
    expect(run.out()).not.toContain(CLIENT_SECRET);
  });

  it("--online gets the Teams bot's Bot Connector token from Entra and says why not when it cannot", async () => {
    simulator = await AvePointSimulator.start({ clientId: "0b5e7a1c-client", clientSecret: CLIENT_SECRET });
    const botPassword = "bot-secret-never-printed";
    const run = io(
      env({
        AVEPOINT_API_URL: simulator.url,
        AVEPOINT_TOKEN_URL: simulator.tokenUrl,
        ALERT_ROUTES_FILE: "",
        TEAMS_BOT_APP_ID: "11111111-2222-3333-4444-555555555555",
        TEAMS_BOT_APP_PASSWORD: botPassword,
        TEAMS_BOT_TENANT_ID: "8a6f3b2e-4c1d-4e5f-9a7b-0c1d2e3f4a5b",
      }),
    );
    expect(await main(["--online"], run)).toBe(0);
    // No Entra from the test machine (loopback only): the probe ran and reports why no token came.
    expect(run.out()).toMatch(/online: Teams bot: NO Bot Connector token: .*Microsoft Entra/);
    expect(run.out()).toContain("note: Teams: use a standard channel");
    expect(run.out()).not.toContain(botPassword);
  });

  it("--online shows which API revision answers and how it reads times (auto)", async () => {
    simulator = await AvePointSimulator.start({ clientId: "0b5e7a1c-client", clientSecret: CLIENT_SECRET, revisions: ["seed"], style: { timeFormat: "ticks" }, queryTimes: "ticks" });
    simulator.tenant.addJob({ id: "IB-1", state: "Finished", startTime: new Date("2026-11-29T07:00:00Z"), finishTime: new Date("2026-11-29T07:10:00Z"), objectType: 1 });
    const run = io(env({ AVEPOINT_API_URL: simulator.url, AVEPOINT_TOKEN_URL: simulator.tokenUrl }));
    expect(await main(["--online"], run)).toBe(0);
    expect(run.out()).toContain("online: AvePoint (AVEPOINT_API_PROFILE=auto): jobs on the seed revision (/cloudbackup/jobs); license on the seed revision; query times as .NET ticks");
  });
});
