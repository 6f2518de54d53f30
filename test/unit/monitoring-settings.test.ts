import { describe, expect, it } from "vitest";
import { ConfigError, parseSettings } from "../../shared/config/index.js";

const BASE = {
  AVEPOINT_CLIENT_ID: "c",
  AVEPOINT_CLIENT_SECRET: "client-secret-value",
  ALERTS_STORAGE: "UseDevelopmentStorage=true",
  TEAMS_WEBHOOK_URL: "https://example.webhook.invalid/workflows/x?sig=abc123456",
};

function problems(values: Record<string, string>): string[] {
  try {
    parseSettings({ ...BASE, ...values });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.variable}: ${p.message}`);
    throw err;
  }
}

describe("monitoring settings", () => {
  it("defaults: threshold 3, 30 days, no secret expiry, no heartbeat", () => {
    expect(parseSettings(BASE).monitoring).toEqual({ failureThreshold: 3, credentialWarnDays: 30 });
  });

  it("reads every value", () => {
    const m = parseSettings({ ...BASE, MONITOR_FAILURE_THRESHOLD: "5", CREDENTIAL_WARN_DAYS: "14", AVEPOINT_CLIENT_SECRET_EXPIRES: "2027-03-31", HEARTBEAT_URL: "https://hc-ping.com/0f3a-uuid" }).monitoring;
    expect(m).toMatchObject({ failureThreshold: 5, credentialWarnDays: 14, clientSecretExpiresAt: new Date("2027-03-31T23:59:59Z") });
    expect(m.heartbeatUrl?.reveal()).toBe("https://hc-ping.com/0f3a-uuid");
    expect(JSON.stringify(m)).not.toContain("0f3a-uuid");
    expect(parseSettings({ ...BASE, AVEPOINT_CLIENT_SECRET_EXPIRES: "2027-03-31T12:00:00+02:00" }).monitoring.clientSecretExpiresAt).toEqual(new Date("2027-03-31T10:00:00Z"));
  });

  it.each([
    [{ MONITOR_FAILURE_THRESHOLD: "0" }, "MONITOR_FAILURE_THRESHOLD: must be a whole number from 1 to 1000"],
    [{ CREDENTIAL_WARN_DAYS: "400" }, "CREDENTIAL_WARN_DAYS: must be a whole number from 1 to 365"],
    [{ AVEPOINT_CLIENT_SECRET_EXPIRES: "31/03/2027" }, "AVEPOINT_CLIENT_SECRET_EXPIRES: must be an ISO date"],
    [{ AVEPOINT_CLIENT_SECRET_EXPIRES: "2027-02-30x" }, "AVEPOINT_CLIENT_SECRET_EXPIRES: must be an ISO date"],
    [{ HEARTBEAT_URL: "http://hc-ping.com/secret-uuid" }, "HEARTBEAT_URL: must be an https URL"],
  ])("refuses %j", (values, message) => {
    const found = problems(values);
    expect(found.some((p) => p.startsWith(message)), found.join("\n")).toBe(true);
    expect(found.join("\n")).not.toContain("secret-uuid");
  });

  it("a secret expiry without a client secret is a mistake", () => {
    const found = problems({ AVEPOINT_CLIENT_SECRET: "", AVEPOINT_CERTIFICATE_PATH: "/x.pem", AVEPOINT_CLIENT_SECRET_EXPIRES: "2027-03-31" });
    expect(found.some((p) => p.startsWith("AVEPOINT_CLIENT_SECRET_EXPIRES: is set but no AVEPOINT_CLIENT_SECRET is"))).toBe(true);
  });
});
