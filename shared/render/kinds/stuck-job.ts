import type { StuckJobAlert } from "../../alerts/health-model.js";
import type { Fact } from "../adaptive-card.js";
import { formatDuration, formatNumber, formatUtc, jobStateLabel, serviceName } from "../format.js";
import { healthKind, idFact, SERVICE_NOT_KNOWN, withService } from "../health-kind.js";

/** A job In Progress longer than JOB_MAX_RUNTIME_HOURS, or its end. */

function runningFor(alert: StuckJobAlert): number | null {
  return alert.job.startTime ? alert.detectedAt.getTime() - alert.job.startTime.getTime() : null;
}

export const stuckJob = healthKind<StuckJobAlert>({
  headline(alert) {
    const service = serviceName(alert.service);
    if (alert.status === "resolved") return withService(alert.outcome === "vanished" ? "Long-running job no longer listed" : "Long-running job ended", service);
    return withService(`Job still in progress after ${formatDuration(runningFor(alert))}`, service);
  },

  facts(alert, encode, detail) {
    const { job } = alert;
    const facts: Fact[] = [
      { title: "Job ID", value: idFact(job.id, encode, detail) },
      { title: "Service", value: serviceName(alert.service) ?? SERVICE_NOT_KNOWN },
      { title: "Started", value: formatUtc(job.startTime) },
    ];
    if (alert.status === "resolved") {
      const ended = `${job.state === "Unknown" ? "Unrecognized state" : jobStateLabel(job.state)}, finished ${formatUtc(job.finishTime)}`;
      facts.push({ title: "Outcome", value: alert.outcome === "vanished" ? "no longer listed by the API" : ended });
    } else {
      facts.push({ title: "Running for", value: formatDuration(runningFor(alert)) });
    }
    facts.push({ title: "Allowed run time", value: `${formatNumber(alert.maxRuntimeHours)} h (JOB_MAX_RUNTIME_HOURS)` });
    if (job.counts) {
      facts.push({ title: "Objects so far", value: `${formatNumber(job.counts.total)} total, ${formatNumber(job.counts.failed)} failed, ${formatNumber(job.counts.skipped)} skipped` });
    }
    return facts;
  },

  advice: () => "A job that runs this long may be hung and can delay the next backups. Check it in AvePoint Online Services.",

  jobId: (alert) => alert.job.id,
});
