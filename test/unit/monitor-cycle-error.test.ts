/**
 * The Functions host records a failed invocation's exception (message and stack)
 * in Application Insights without passing through our logger, so the error a
 * failed cycle throws must carry no credential itself (review S3).
 */
import { describe, expect, it } from "vitest";
import { MonitorCycleError } from "../../shared/pipeline/runtime.js";
import type { CycleSummary } from "../../shared/telemetry/cycle-summary.js";

const SIGNATURE = "sig-value-never-shown-123";
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.payload-never-shown";

function failedSummary(): CycleSummary {
  return {
    monitor: "jobs",
    tenant: "Contoso",
    ok: false,
    read: 0,
    newAlerts: 0,
    checkpointWritten: false,
    error: `AvePointApiError: GET https://graph-us.avepointonlineservices.com/backup/m365/cloudbackupjobs?code=${SIGNATURE} sent Authorization: Bearer ${TOKEN}`,
    delivery: {
      delivered: 0,
      failed: 1,
      skipped: 0,
      deferred: 0,
      overtaken: 0,
      setAside: [],
      messages: 0,
      errors: [`teams: POST https://prod.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=${SIGNATURE} answered 500`],
      oldestUndelivered: null,
    },
  };
}

describe("the error a failed cycle throws (what the host records)", () => {
  it("names the failure but neither the webhook signature nor the bearer token", () => {
    const error = new MonitorCycleError(failedSummary());
    expect(error.message).toContain("jobs monitor [Contoso]: FAILED");
    expect(error.message).toContain("read error: AvePointApiError");
    expect(error.message).toContain("delivery error: teams: POST");
    expect(error.message).not.toContain(SIGNATURE);
    expect(error.message).not.toContain(TOKEN);
    expect(String(error.stack)).not.toContain(SIGNATURE);
  });
});
