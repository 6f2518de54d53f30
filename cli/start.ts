/**
 * `npm start`.
 * - With AvePoint credentials configured (environment or local.settings.json):
 *   the real monitors on their schedules, against the real API and receivers.
 * - Without: an embedded demo that needs nothing beyond `npm install` —
 *   Azurite in memory, the AvePoint simulator with a tenant whose jobs fail now
 *   and then, the monitors every few seconds, and a local inbox that renders
 *   every delivered card. The demo sets the same settings a user would and runs
 *   the same registered handlers through the same runner.
 */
import { readSettingValues } from "../shared/config/index.js";
import { runAsScript } from "./operator-io.js";
import { main as poll } from "./poll.js";

const DEMO_CLIENT_ID = "demo-client";
const DEMO_SECRET = "demo-secret-not-a-real-credential";
const DEMO_TENANT_NAME = "Contoso (demo)";

async function demo(): Promise<number> {
  // Loaded only for the demo: a real run needs none of these local stand-ins.
  const { startAzurite } = await import("../test/support/azurite.js");
  const { AvePointSimulator, createDemoTenant } = await import("../test/simulator/index.js");
  const { startInbox } = await import("./inbox-server.js");
  const port = Number(process.env["DEMO_PORT"] ?? process.env["PORT"] ?? 7071);
  const say = (line: string) => process.stderr.write(`[demo] ${line}\n`);
  // The inbox first: a port in use is the likeliest problem, and is found before anything else starts.
  const inbox = await startInbox({ port });
  say("starting Azurite (Table Storage, in memory) and the AvePoint simulator…");
  const azurite = await startAzurite();
  const simulator = await AvePointSimulator.start({ clientId: DEMO_CLIENT_ID, clientSecret: DEMO_SECRET });
  const tenant = createDemoTenant(simulator.tenant, { seed: 7, now: Date.now });
  tenant.advance();
  const ticker = setInterval(() => tenant.advance(), 3_000);

  const settings: Record<string, string> = {
    AVEPOINT_CLIENT_ID: DEMO_CLIENT_ID,
    AVEPOINT_CLIENT_SECRET: DEMO_SECRET,
    AVEPOINT_API_URL: simulator.url,
    AVEPOINT_TOKEN_URL: simulator.tokenUrl,
    ALERTS_STORAGE: azurite.connectionString,
    TEAMS_WEBHOOK_URL: inbox.webhookUrl,
    ALERT_TENANT_NAME: DEMO_TENANT_NAME,
  };
  Object.assign(process.env, settings, {
    JOBS_SCHEDULE: "*/5 * * * * *",
    LICENSE_SCHEDULE: "*/20 * * * * *",
    JOBS_LOOKBACK_HOURS: "24",
  });
  process.stdout.write(demoGuide({ inboxUrl: inbox.url, azuriteEndpoint: azurite.tableEndpoint, simulatorUrl: simulator.url, settings }));
  try {
    // Every monitor once right away: `status` is healthy as soon as the first cycles are done.
    return await poll(["--now"]);
  } finally {
    clearInterval(ticker);
    await inbox.stop();
    await simulator.stop();
    await azurite.stop();
    say("stopped (the inbox, the simulator and Azurite with its data)");
  }
}

/** A value as one POSIX shell word: bare when that is safe, else single-quoted. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_.,:/@%+=-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * What the demo prints once it is ready: the inbox first (the page to open),
 * then where its parts listen, then operator commands that work against it as
 * printed (each sets the settings it needs, and only those).
 */
export function demoGuide(demo: { inboxUrl: string; azuriteEndpoint: string; simulatorUrl: string; settings: Record<string, string> }): string {
  const env = (...names: string[]) => names.map((n) => `${n}=${shellWord(demo.settings[n] ?? "")}`).join(" ");
  return [
    `Demo ready. Open the inbox: ${demo.inboxUrl}/`,
    `  delivered payloads as JSON: ${demo.inboxUrl}/inbox.json`,
    `  Azurite (Table Storage, in memory): ${demo.azuriteEndpoint}`,
    `  AvePoint simulator (stands in for the AvePoint API): ${new URL(demo.simulatorUrl).host}`,
    "",
    "Try the operator commands against the demo, from this folder in another terminal (bash, zsh):",
    "  # where each monitor stands, read from the ledger",
    `  ${env("ALERTS_STORAGE", "ALERT_TENANT_NAME")} npm run status`,
    "  # every monitor once, as a scheduled run would",
    `  ${env("AVEPOINT_CLIENT_ID", "AVEPOINT_CLIENT_SECRET", "AVEPOINT_API_URL", "AVEPOINT_TOKEN_URL", "ALERTS_STORAGE", "TEAMS_WEBHOOK_URL", "ALERT_TENANT_NAME")} npm run poll -- --once`,
    "  # a test card to the inbox (needs only the webhook)",
    `  ${env("TEAMS_WEBHOOK_URL")} npm run send-test-alert`,
    "",
  ].join("\n");
}

export async function main(): Promise<number> {
  const values = readSettingValues();
  if (!values["AVEPOINT_CLIENT_ID"]) return demo();
  return poll([]);
}

runAsScript(import.meta.url, () => main());
