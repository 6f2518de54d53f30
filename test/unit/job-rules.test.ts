import { describe, expect, it } from "vitest";
import type { BackupJob } from "../../shared/avepoint/model.js";
import { detectJobAlerts, detectRecovery, isFinal, jobIdentity } from "../../shared/alerts/job-rules.js";
import { fingerprintOf } from "../../shared/alerts/fingerprint.js";
import { jobsWindow } from "../../shared/sources/jobs-window.js";

const detectedAt = new Date("2026-11-29T08:15:00Z");
const all = ["Failed", "FinishedException", "PartiallyFinished"] as const;

function job(state: BackupJob["state"], patch: Partial<BackupJob> = {}): BackupJob {
  return {
    id: `IB-${state}`,
    state,
    rawState: state,
    startTime: new Date("2026-11-29T07:00:00Z"),
    finishTime: state === "InProgress" ? null : new Date("2026-11-29T07:30:00Z"),
    durationMs: null,
    counts: { total: 10, failed: 2, successful: 8, skipped: 0 },
    errors: [],
    ...patch,
  };
}

describe("job alert rules", () => {
  it.each([
    ["Failed", "critical"],
    ["FinishedException", "warning"],
    ["PartiallyFinished", "warning"],
    ["Unknown", "warning"],
    ["Canceled", "warning"],
    ["Stopped", "warning"],
    ["Rejected", "warning"],
    ["Skipped", "warning"],
    ["InProgress", undefined],
    ["Finished", undefined],
  ] as const)("%s alerts as %s", (state, severity) => {
    const alerts = detectJobAlerts([job(state)], { tenant: "Contoso", alertStates: all, detectedAt });
    expect(alerts.map((a) => a.severity)).toEqual(severity ? [severity] : []);
  });

  it("ALERT_JOB_STATES never silences a job that did not do its work (canceled, stopped, rejected, skipped)", () => {
    const jobs = (["Canceled", "Stopped", "Rejected", "Skipped"] as const).map((s) => job(s));
    const alerts = detectJobAlerts(jobs, { tenant: "Contoso", alertStates: ["Failed"], detectedAt });
    expect(alerts.map((a) => [a.job.state, a.severity])).toEqual(jobs.map((j) => [j.state, "warning"]));
  });

  it("ALERT_JOB_STATES narrows the alerting states but never silences unknown ones", () => {
    const jobs = [job("Failed"), job("FinishedException"), job("PartiallyFinished"), job("Unknown", { rawState: "Exploded" })];
    const alerts = detectJobAlerts(jobs, { tenant: "Contoso", alertStates: ["Failed"], detectedAt });
    expect(alerts.map((a) => a.job.state)).toEqual(["Failed", "Unknown"]);
  });

  it("fingerprints the job and its outcome, never times or text", () => {
    const a = detectJobAlerts([job("Failed")], { tenant: "Contoso", alertStates: all, detectedAt })[0]!;
    const b = detectJobAlerts([job("Failed", { counts: null, errors: [{ message: "x" }] })], {
      tenant: "Contoso",
      alertStates: all,
      detectedAt: new Date("2026-11-30T00:00:00Z"),
    })[0]!;
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.identity).toBe("job:Contoso:IB-Failed:Failed");
    expect(a.fingerprint).toBe(fingerprintOf("job:Contoso:IB-Failed:Failed"));
    const other = detectJobAlerts([job("Failed")], { tenant: "Fabrikam", alertStates: all, detectedAt })[0]!;
    expect(other.fingerprint).not.toBe(a.fingerprint);
  });

  it("identifies a job without an id by its start and raw state", () => {
    expect(jobIdentity("T", job("Unknown", { id: null, rawState: "Weird" }))).toBe("job:T:no-id@2026-11-29T07:00:00.000Z:Unknown:Weird");
  });

  it("treats only In Progress as not final", () => {
    expect(isFinal(job("InProgress"))).toBe(false);
    expect(isFinal(job("Unknown"))).toBe(true);
    expect(isFinal(job("Failed"))).toBe(true);
  });

  it("recovers a service only on a successful job that finished after its newest failure", () => {
    const failure = { jobIds: ["IB-1"], lastFailureAt: "2026-11-29T07:30:00.000Z" };
    const before = job("Finished", { id: "OK-0", finishTime: new Date("2026-11-29T07:00:00Z") });
    const after = job("Finished", { id: "OK-1", finishTime: new Date("2026-11-29T08:00:00Z") });
    const later = job("Finished", { id: "OK-2", finishTime: new Date("2026-11-29T08:10:00Z") });
    expect(detectRecovery(1, failure, [before, job("Failed", { id: "F" })], { tenant: "T", detectedAt })).toBeUndefined();
    const recovery = detectRecovery(1, failure, [later, before, after], { tenant: "T", detectedAt })!;
    expect(recovery.job.id).toBe("OK-1");
    expect(recovery.status).toBe("resolved");
    expect(recovery.resolvedJobIds).toEqual(["IB-1"]);
    expect(recovery.identity).toBe("recovery:T:1:OK-1");
  });
});

describe("the window a cycle reads", () => {
  const settings = { schedule: "", lookbackHours: 24, overlapMinutes: 15, alertStates: [...all], jobTypes: [] };
  const now = new Date("2026-11-29T08:15:00Z");

  it("looks back JOBS_LOOKBACK_HOURS on the first cycle", () => {
    expect(jobsWindow({ watermark: null, openJobs: [] }, settings, now)).toEqual({ start: new Date("2026-11-28T08:15:00Z"), end: now });
  });

  it("starts at the watermark minus the overlap later", () => {
    const w = jobsWindow({ watermark: new Date("2026-11-29T08:10:00Z"), openJobs: [] }, settings, now);
    expect(w.start).toEqual(new Date("2026-11-29T07:55:00Z"));
  });

  it("reaches back over the longest job while the service has not been seen listing running jobs", () => {
    const w = jobsWindow({ watermark: new Date("2026-11-29T08:10:00Z"), openJobs: [] }, settings, now, 12);
    expect(w.start).toEqual(new Date("2026-11-28T20:10:00Z"));
    // The overlap still wins when it is the longer of the two.
    expect(jobsWindow({ watermark: new Date("2026-11-29T08:10:00Z"), openJobs: [] }, { ...settings, overlapMinutes: 24 * 60 }, now, 12).start).toEqual(new Date("2026-11-28T08:10:00Z"));
  });

  it("reaches back to the oldest job still open, however long it runs", () => {
    const w = jobsWindow(
      { watermark: new Date("2026-11-29T08:10:00Z"), openJobs: [{ id: "a", startTime: new Date("2026-11-25T00:00:00Z") }, { id: "b", startTime: new Date("2026-11-29T06:00:00Z") }] },
      settings,
      now,
    );
    expect(w.start).toEqual(new Date("2026-11-25T00:00:00Z"));
  });
});
