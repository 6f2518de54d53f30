/**
 * What a post to the receiver carried, read back from the Adaptive Card the
 * way a person reads it: the job ids of job alerts and of recoveries, on
 * single cards ("Job ID" / "Successful job ID" above the id) and in digests
 * ("Job ID <id> · ..." under each entry's headline; recoveries' headlines
 * start with RESOLVED). See shared/render/kinds/job.ts, kinds/job-recovery.ts and digest-card.ts.
 */

export interface CarriedAlerts {
  /** Job ids of job alerts (failed, finished with exception, partially finished, unknown). */
  jobAlerts: string[];
  /** Successful job ids of recovery alerts. */
  recoveries: string[];
}

/** Every TextBlock's text, in reading order. */
function texts(element: unknown, out: string[] = []): string[] {
  if (Array.isArray(element)) {
    for (const item of element) texts(item, out);
    return out;
  }
  if (typeof element !== "object" || element === null) return out;
  const record = element as Record<string, unknown>;
  if (record["type"] === "TextBlock" && typeof record["text"] === "string") out.push(record["text"]);
  for (const key of ["body", "items", "columns"]) if (key in record) texts(record[key], out);
  return out;
}

const DIGEST_ID = /^Job ID (\S+) \u00B7 /;

export function alertsCarriedBy(payload: unknown): CarriedAlerts {
  const carried: CarriedAlerts = { jobAlerts: [], recoveries: [] };
  const attachments = (payload as { attachments?: { content?: unknown }[] } | null)?.attachments;
  if (!Array.isArray(attachments)) return carried;
  for (const attachment of attachments) {
    const lines = texts(attachment?.content);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const next = lines[i + 1];
      if (line === "Job ID" && next !== undefined) carried.jobAlerts.push(next);
      else if (line === "Successful job ID" && next !== undefined) carried.recoveries.push(next);
      else {
        const digest = DIGEST_ID.exec(line);
        if (!digest) continue;
        const headline = lines[i - 1] ?? "";
        (headline.startsWith("RESOLVED") ? carried.recoveries : carried.jobAlerts).push(digest[1]!);
      }
    }
  }
  return carried;
}
