/**
 * The decide step (shared/alerts/decide.ts) and the checkpoint it reads
 * beside it (shared/pipeline/checkpoint.ts), as pure functions: no storage.
 */
import { describe, expect, it } from "vitest";
import { decide, toAdmit } from "../../shared/alerts/decide.js";
import { nextOpenFailures } from "../../shared/alerts/job-rules.js";
import { freshMonitorHealthState } from "../../shared/alerts/monitoring-rules.js";
import type { Checkpoint } from "../../shared/ledger/index.js";
import { checkpointRow, heldWatermark, parseCheckpointState, type MonitorCheckpoint } from "../../shared/pipeline/checkpoint.js";
import { exchangeRecovery, failedExchangeJob, makeJob, makeJobAlert, partiallyFinishedOneDriveJob, seatsWarning } from "../support/alert-fixtures.js";

describe("decide", () => {
  it("says first for a fingerprint the ledger does not hold, repeat for one it holds, resolved for a resolve notice, each with a reason", () => {
    const decisions = decide({ detected: [failedExchangeJob, partiallyFinishedOneDriveJob, exchangeRecovery], known: new Set([partiallyFinishedOneDriveJob.fingerprint]) });
    expect(decisions.map((d) => [d.alert.fingerprint, d.verdict])).toEqual([
      [failedExchangeJob.fingerprint, "first"],
      [partiallyFinishedOneDriveJob.fingerprint, "repeat"],
      [exchangeRecovery.fingerprint, "resolved"],
    ]);
    expect(decisions[0]!.reason).toContain(failedExchangeJob.identity);
    expect(decisions[1]!.reason).toContain("already holds");
    expect(decisions[2]!.reason).toContain("no longer holds");
  });

  it("says repeat for a resolve notice the ledger already holds: it is never sent twice", () => {
    const [decision] = decide({ detected: [exchangeRecovery], known: new Set([exchangeRecovery.fingerprint]) });
    expect(decision!.verdict).toBe("repeat");
  });

  it("admits everything but the repeats, in the order detected; an alert the ledger was not asked about is news", () => {
    const detected = [seatsWarning, failedExchangeJob, exchangeRecovery, partiallyFinishedOneDriveJob];
    const admitted = toAdmit(decide({ detected, known: new Set([failedExchangeJob.fingerprint]) }));
    expect(admitted).toEqual([seatsWarning, exchangeRecovery, partiallyFinishedOneDriveJob]);
  });
});

describe("open failures after a cycle", () => {
  const now = new Date("2026-11-29T09:00:00Z");

  it("closes a recovered service's failure, then opens or extends one for each first failure with a service", () => {
    const open = { "1": { jobIds: ["IB-OLD"], lastFailureAt: "2026-11-28T07:30:00.000Z" }, "2": { jobIds: ["IB-X"], lastFailureAt: "2026-11-28T07:00:00.000Z" } };
    const later = makeJobAlert(makeJob({ id: "IB-NEW", finishTime: new Date("2026-11-29T08:00:00Z") }), { service: 2 });
    const unlabelled = makeJobAlert(makeJob({ id: "IB-NOSERVICE" }));
    const opening = makeJobAlert(makeJob({ id: "IB-FIRST", finishTime: new Date("2026-11-29T08:30:00Z") }), { service: 3 });
    const unknownState = makeJobAlert(makeJob({ id: "IB-ODD", state: "Unknown" }), { service: 4 });
    const next = nextOpenFailures(open, ["1"], [later, unlabelled, opening, unknownState], now);
    expect(next).toEqual({
      "2": { jobIds: ["IB-X", "IB-NEW"], lastFailureAt: "2026-11-29T08:00:00.000Z" },
      "3": { jobIds: ["IB-FIRST"], lastFailureAt: "2026-11-29T08:30:00.000Z" },
    });
    // Pure: the state read is left as it was.
    expect(open["1"].jobIds).toEqual(["IB-OLD"]);
    expect(open["2"].jobIds).toEqual(["IB-X"]);
  });
});

describe("the checkpoint state", () => {
  const row: Checkpoint = {
    tenant: "Contoso",
    monitor: "jobs",
    watermark: null,
    openJobs: [],
    state: {
      openFailures: { "1": { jobIds: ["IB-1", 7], lastFailureAt: "2026-11-29T07:30:00.000Z" }, nope: { jobIds: [], lastFailureAt: "x" } },
      license: "garbage",
      monitoring: { version: 1, episode: -1 },
      silenceSummary: { checkedAt: "2026-11-29T06:00:00.000Z" },
      avepoint: { jobsRevision: "2030-01", runningListed: true },
      somethingNewer: { kept: true },
    },
    lastSuccessAt: null,
    lastError: null,
    consecutiveFailures: 2,
    etag: "W/1",
  };

  it("is read by one parser: every key typed, anything unreadable fresh (never an exception)", () => {
    const state = parseCheckpointState(row.state);
    expect(state.openFailures).toEqual({ "1": { jobIds: ["IB-1"], lastFailureAt: "2026-11-29T07:30:00.000Z" } });
    expect(state.license.corrupt).toBe(true);
    expect(state.monitoring).toEqual(freshMonitorHealthState());
    expect(state.silenceSummary).toEqual(new Date("2026-11-29T06:00:00.000Z"));
    expect(state.avepoint).toEqual({ runningListed: true });
    expect(state.health.problem).toBeUndefined();
    expect(state.credentials).toEqual({});
  });

  it("writes back the keys a cycle did not decide on exactly as they were stored", () => {
    const read: MonitorCheckpoint = { ...row, state: parseCheckpointState(row.state), stored: row.state };
    const written = checkpointRow(read, { consecutiveFailures: 3, lastError: "boom" }, { monitoring: freshMonitorHealthState() });
    expect(written).toEqual({ ...row, consecutiveFailures: 3, lastError: "boom", state: { ...row.state, monitoring: freshMonitorHealthState() } });
  });

  it("holds the watermark back to the oldest undelivered alert, but never past the lookback", () => {
    const now = new Date("2026-11-29T09:00:00Z");
    expect(heldWatermark(now, null, 24)).toEqual(now);
    expect(heldWatermark(now, new Date("2026-11-29T08:00:00Z"), 24)).toEqual(new Date("2026-11-29T08:00:00Z"));
    expect(heldWatermark(now, new Date("2026-11-20T08:00:00Z"), 24)).toEqual(new Date("2026-11-28T09:00:00Z"));
  });
});
