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
import { main as poll } from "./poll.js";

const DEMO_CLIENT_ID = "demo-client";
const DEMO_SECRET = "demo-secret-not-a-real-credential";

async function demo(): Promise<number> {
  // Loaded only for the demo: a real run needs none of these local stand-ins.
  const { startAzurite } = await import("../test/support/azurite.js");
  const { AvePointSimulator, createDemoTenant } = await import("../test/simulator/index.js");
  const { startInbox } = await import("./inbox-server.js");
  const port = Number(process.env["DEMO_PORT"] ?? process.env["PORT"] ?? 7071);
  const say = (line: string) => process.stderr.write(`[demo] ${line}\n`);
  say("starting Azurite (Table Storage, in memory)…");
  const azurite = await startAzurite();
  const simulator = await AvePointSimulator.start({ clientId: DEMO_CLIENT_ID, clientSecret: DEMO_SECRET });
  const tenant = createDemoTenant(simulator.tenant, { seed: 7, now: Date.now });
  tenant.advance();
  const ticker = setInterval(() => tenant.advance(), 3_000);
  const inbox = await startInbox({ port });

  Object.assign(process.env, {
    AVEPOINT_CLIENT_ID: DEMO_CLIENT_ID,
    AVEPOINT_CLIENT_SECRET: DEMO_SECRET,
    AVEPOINT_API_URL: simulator.url,
    AVEPOINT_TOKEN_URL: simulator.tokenUrl,
    ALERTS_STORAGE_CONNECTION: azurite.connectionString,
    TEAMS_WEBHOOK_URL: inbox.webhookUrl,
    ALERT_TENANT_NAME: "Contoso (demo)",
    JOBS_SCHEDULE: "*/5 * * * * *",
    LICENSE_SCHEDULE: "*/20 * * * * *",
    JOBS_LOOKBACK_HOURS: "24",
  });
  say(`AvePoint simulator at ${simulator.url}`);
  say(`open the inbox: ${inbox.url}  (delivered payloads as JSON: ${inbox.url}/inbox.json)`);
  say("monitors run every few seconds; Ctrl+C stops");
  try {
    return await poll([]);
  } finally {
    clearInterval(ticker);
    await inbox.stop();
    await simulator.stop();
    await azurite.stop();
  }
}

export async function main(): Promise<number> {
  const values = readSettingValues();
  if (!values["AVEPOINT_CLIENT_ID"]) return demo();
  return poll([]);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
