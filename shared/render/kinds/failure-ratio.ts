import type { FailureRatioAlert } from "../../alerts/health-model.js";
import type { Fact } from "../adaptive-card.js";
import { formatNumber, formatPercent, formatUtc, jobStateLabel, serviceName } from "../format.js";
import { healthKind, idFact, SERVICE_NOT_KNOWN, withService } from "../health-kind.js";

/**
 * A job finished with too many objects failed or skipped (`cause: "objects"`),
 * or a service skipped more objects run after run (`cause: "skipped-growth"`).
 */

export const failureRatio = healthKind<FailureRatioAlert>({
  headline(alert) {
    const service = serviceName(alert.service);
    if (alert.cause === "skipped-growth") {
      const runs = formatNumber((alert.runs?.length ?? 1) - 1);
      return withService(alert.status === "resolved" ? "Skipped objects no longer growing" : `Skipped objects grew in ${runs} runs in a row`, service);
    }
    return withService(`Job finished with ${formatPercent(alert.percent ?? 0)} of objects failed or skipped`, service);
  },

  facts(alert, encode, detail) {
    const { job } = alert;
    const service = serviceName(alert.service) ?? SERVICE_NOT_KNOWN;
    if (alert.cause === "skipped-growth") {
      const runs = (alert.runs ?? []).map((r) => `${formatNumber(r.skipped)}`).join(" \u2192 ");
      return [
        { title: "Service", value: service },
        { title: "Skipped per run", value: runs || "not reported" },
        { title: "Newest run", value: `${idFact(job.id, encode, detail)} (finished ${formatUtc(job.finishTime)})` },
      ];
    }
    const facts: Fact[] = [
      { title: "Job ID", value: idFact(job.id, encode, detail) },
      { title: "Service", value: service },
      { title: "State", value: job.state === "Unknown" ? "Unrecognized state" : jobStateLabel(job.state) },
      { title: "Finished", value: formatUtc(job.finishTime) },
    ];
    if (job.counts) {
      const { total, failed, skipped, successful } = job.counts;
      facts.push({
        title: "Objects",
        value: `${formatNumber(total)} total, ${formatNumber(failed)} failed, ${formatNumber(skipped)} skipped, ${formatNumber(successful)} successful`,
      });
    }
    facts.push({ title: "Threshold", value: `${formatNumber(alert.thresholdPercent ?? 0)}% failed or skipped (JOB_FAILED_OBJECTS_PERCENT)` });
    return facts;
  },

  advice: (alert) =>
    alert.cause === "skipped-growth"
      ? "Each run skips more objects than the one before: objects are silently falling out of protection."
      : "The job finished, but a large part of its objects were not backed up.",

  jobId: (alert) => (alert.cause === "objects" ? alert.job.id : null),
});
