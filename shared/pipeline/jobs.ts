/**
 * The jobs monitor's poll + detect: read the window of backup jobs, detect
 * failed outcomes, recoveries and backup health, and learn the services of
 * the alerts that are news. The cycle (cycle.ts) does the rest.
 */
import type { Decision } from "../alerts/decide.js";
import { detectJobAlerts, detectRecovery, isFinal, nextOpenFailures } from "../alerts/job-rules.js";
import type { Alert, JobAlert, JobRecoveryAlert } from "../alerts/model.js";
import { checkServiceHealth, detectJobHealth, jobIdsToLabel, withServices } from "../sources/backup-health.js";
import { jobsWindow, readWindow, scanServices, type OpenJob } from "../sources/jobs-window.js";
import type { CycleSummary } from "../telemetry/cycle-summary.js";
import { heldWatermark } from "./checkpoint.js";
import { runCycle } from "./cycle.js";
import type { MonitorDeps, Poll } from "./monitor.js";

/** One jobs-monitor cycle. Never throws for an AvePoint or delivery problem: the summary says what failed. */
export function runJobsMonitor(deps: MonitorDeps): Promise<CycleSummary> {
  return runCycle(deps, "jobs", pollJobs);
}

const pollJobs: Poll = async (deps, checkpoint, now, found) => {
  const { settings, reader, ledger } = deps;
  const tenant = settings.alerts.tenantName;
  // Until the service is seen listing a running job, the window reaches back over the longest job (jobs-window.ts).
  const runningListed = reader.reading ? reader.reading().runningListed === true : true;
  const window = jobsWindow(checkpoint, settings.jobs, now, runningListed ? 0 : settings.health.jobMaxRuntimeHours || settings.jobs.lookbackHours);
  const read = await readWindow(reader, window, settings.jobs, settings.avepoint.pageSize, deps.abortSignal);
  if (read.mismatch) {
    deps.logger.warn("AvePoint's per-service totals do not add up to the window's TotalCount (a job of a service we do not know?); the window was read unfiltered as well", read.mismatch);
  }
  const jobs = read.jobs;

  const candidates = detectJobAlerts(jobs, { tenant, alertStates: settings.jobs.alertStates, detectedAt: now });
  // Backup health from this listing: stuck jobs, failed and skipped objects (health-rules.ts).
  const alertingJobIds = new Set(candidates.map((a) => a.job.id).filter((id): id is string => id !== null));
  const jobHealth = detectJobHealth({ settings, parsed: checkpoint.state.health, jobs, alertingJobIds, now, logger: deps.logger });
  // What the ledger already holds (one key-range query each, whatever its history); a quiet cycle skips the query.
  const known =
    candidates.length + jobHealth.alerts.length > 0
      ? await ledger.knownAmong(tenant, [...candidates, ...jobHealth.alerts].map((a) => a.fingerprint))
      : new Set<string>();
  // Only what the ledger does not hold yet can be news (decide lets nothing else through): only that is worth a service listing.
  const unknown = (alert: Alert): boolean => !known.has(alert.fingerprint);
  const fresh = candidates.filter(unknown);
  const healthFresh = jobHealth.alerts.filter(unknown);

  // Learn services only when something may alert or a service has an open failure.
  const openFailures = checkpoint.state.openFailures;
  const needLabels = new Set([...fresh.map((a) => a.job.id).filter((id): id is string => id !== null), ...jobIdsToLabel(healthFresh)]);
  const scan =
    needLabels.size > 0 || Object.keys(openFailures).length > 0
      ? await scanServices(reader, window, needLabels, openFailures, deps.abortSignal, read.byService)
      : undefined;
  const labelled: JobAlert[] = candidates.map((a) => {
    const service = a.job.id !== null ? scan?.serviceOf.get(a.job.id) : undefined;
    return service !== undefined ? { ...a, service } : a;
  });

  // Recovery: a service with an open failure that has since finished a job successfully.
  const recovered: string[] = [];
  const recoveries: JobRecoveryAlert[] = [];
  for (const [key, failure] of Object.entries(openFailures)) {
    const service = Number(key) as JobRecoveryAlert["service"];
    const recovery = detectRecovery(service, failure, scan?.jobsByService.get(service) ?? [], { tenant, detectedAt: now });
    if (!recovery) continue;
    recovered.push(key);
    if (settings.alerts.sendResolved) recoveries.push(recovery);
  }

  // Backup health per service (missed backups, skipped growth, unusual activity): listings only when a rule needs one.
  const serviceHealth = await checkServiceHealth(
    { reader, settings, jobs, now, logger: deps.logger, ...(read.byService ? { windowByService: read.byService } : {}), ...(deps.abortSignal ? { abortSignal: deps.abortSignal } : {}) },
    jobHealth.state,
  );
  // Labelling a stuck job also notes its service in the health state: done for news only, as the listing was.
  const healthAlerts = withServices([...healthFresh, ...serviceHealth.alerts], (id) => scan?.serviceOf.get(id) ?? serviceHealth.serviceOf.get(id), serviceHealth.state);

  found.detected.push(...labelled, ...recoveries, ...healthAlerts, ...jobHealth.alerts.filter((a) => !unknown(a)));
  for (const fingerprint of known) found.known.add(fingerprint);

  // Jobs still running are re-read next cycle, wherever the watermark goes.
  const openJobs: OpenJob[] = jobs
    .filter((j) => !isFinal(j) && j.id !== null && j.startTime !== null)
    .map((j) => ({ id: j.id as string, startTime: j.startTime as Date }));
  const listed = new Set(jobs.map((j) => j.id));
  const vanished = checkpoint.openJobs.filter((o) => !listed.has(o.id));
  if (vanished.length > 0) {
    deps.logger.warn(`${vanished.length} job(s) seen In Progress are no longer listed; they stop being tracked`, {
      jobIds: vanished.map((v) => v.id).slice(0, 20),
    });
  }

  return {
    read: jobs.length,
    window,
    next: (decisions, delivery) => ({
      watermark: heldWatermark(now, delivery.oldestUndelivered, settings.jobs.lookbackHours),
      openJobs,
      state: { openFailures: nextOpenFailures(openFailures, recovered, firstFailures(decisions), now), health: serviceHealth.state },
    }),
  };
};

function firstFailures(decisions: readonly Decision[]): JobAlert[] {
  return decisions.flatMap((d) => (d.verdict === "first" && d.alert.kind === "job" ? [d.alert] : []));
}
