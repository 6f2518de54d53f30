import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERT_KINDS, type Alert } from "../../shared/alerts/model.js";
import type { AlertKindView } from "../../shared/render/alert-kind.js";
import { toBotCard } from "../../shared/render/bot-card.js";
import { alertSummary, buildEmailMessages, buildWorkflowsMessages, renderAlertCard, renderAlertEmail, renderDigestEmail } from "../../shared/render/index.js";
import { KIND_VIEWS, type KindViews } from "../../shared/render/kinds/index.js";
import { buildSilenceSummary } from "../../shared/routing/silence-summary.js";
import { failedExchangeJob, RENDER_CONTEXT } from "../support/alert-fixtures.js";
import { retentionEnding, retentionEndingExchange } from "../support/made-up-kind.js";
import { validateAdaptiveCard } from "../support/validate-card.js";

/**
 * The extension point of render/: a kind of alert is one module in
 * shared/render/kinds/ plus one line in kinds/index.ts (and, in alerts/, its
 * type in the Alert union, its entry in ALERT_KINDS and its rule). Nothing
 * else in render/ names a kind.
 */

const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");

/** The made-up alert as the Alert union would hold it once alerts/ declared the kind. */
const retention = retentionEndingExchange as unknown as Alert;

describe("a made-up alert kind, registered like a real one", () => {
  const registry = KIND_VIEWS as unknown as Record<string, AlertKindView<never>>;
  // The one line a real kind adds to kinds/index.ts.
  beforeAll(() => {
    registry["retention-ending"] = retentionEnding;
  });
  afterAll(() => {
    delete registry["retention-ending"];
  });

  it("renders as its own card, valid for Teams, with API text escaped", () => {
    const card = renderAlertCard(retention, RENDER_CONTEXT);
    expect(validateAdaptiveCard(card).errors).toEqual([]);
    const text = JSON.stringify(card);
    expect(text).toContain("Retention ends on 2026-12-31: Exchange Online");
    expect(text).toContain("Keep \\\\*7 years\\\\*");
    expect(text).not.toContain("https://evil.example");
  });

  it("has a one-line summary", () => {
    expect(alertSummary(retention, RENDER_CONTEXT)).toBe("[WARNING] Retention ends on 2026-12-31: Exchange Online \u2014 Contoso");
  });

  it("is a digest entry, counted under its own noun", () => {
    const [post] = buildWorkflowsMessages([failedExchangeJob, retention], RENDER_CONTEXT, { groupThreshold: 1 });
    const card = post!.payload.attachments[0].content;
    expect(validateAdaptiveCard(card).errors).toEqual([]);
    const text = JSON.stringify(card);
    expect(text).toContain("WARNING \u00B7 Retention ends on 2026-12-31: Exchange Online");
    expect(text).toContain("1 job alert, 1 retention notice");
    expect(post!.fingerprints).toEqual([failedExchangeJob.fingerprint, retention.fingerprint]);
  });

  it("is an email, on its own and in a digest email", () => {
    const email = renderAlertEmail(retention, RENDER_CONTEXT);
    expect(email.subject).toBe("[WARNING] Retention ends on 2026-12-31: Exchange Online");
    expect(email.text).toContain("Keep *7 years*");
    expect(email.html).not.toContain("https://evil.example");
    const digest = renderDigestEmail([failedExchangeJob, retention], RENDER_CONTEXT);
    expect(digest.text).toContain("Retention ends on 2026-12-31: Exchange Online");
    expect(digest.subject).toBe("[CRITICAL] 2 backup alerts \u2014 Contoso");
    expect(buildEmailMessages([retention], RENDER_CONTEXT, { groupThreshold: 5 }).map((m) => m.fingerprints)).toEqual([[retention.fingerprint]]);
  });

  it("is listed in a silence summary and becomes a Teams bot card", () => {
    const window = { name: "maintenance", windowStart: new Date("2026-11-29T01:00:00Z"), windowEnd: new Date("2026-11-29T05:00:00Z") };
    const summary = buildSilenceSummary("Contoso", window, [retention, failedExchangeJob], new Date("2026-11-29T05:01:00Z"));
    const card = renderAlertCard(summary, RENDER_CONTEXT);
    expect(validateAdaptiveCard(card).errors).toEqual([]);
    expect(JSON.stringify(card)).toContain("1 job alert, 1 retention notice");
    expect(renderAlertEmail(summary, RENDER_CONTEXT).text).toContain("Retention ends on 2026-12-31");
    const bot = toBotCard(renderAlertCard(retention, RENDER_CONTEXT), { tenant: "Contoso", fingerprint: retention.fingerprint });
    expect(validateAdaptiveCard(bot, { targetVersion: "1.5" }).errors).toEqual([]);
  });
});

describe("the kind registry", () => {
  it("maps exactly the kinds of the Alert union", () => {
    expect(Object.keys(KIND_VIEWS).sort()).toEqual([...ALERT_KINDS].sort());
  });

  it("does not compile without a module for every kind", () => {
    const { job: _job, ...withoutJob } = KIND_VIEWS;
    // @ts-expect-error a registry that leaves out a kind of the Alert union is a compile error (tsc runs on tests)
    const incomplete: KindViews = withoutJob;
    expect(Object.keys(incomplete)).not.toContain("job");
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("no per-kind switch outside render/kinds/ and the alert rules", () => {
  /**
   * bot/incident.ts keys a bot card's incident (stored with the card) by kind:
   * identity, not rendering, with a default ("alert:<fingerprint>") that serves
   * a new kind; it stays with the bot.
   */
  const allowed = [/^shared\/render\/kinds\//, /^shared\/alerts\//, /^shared\/bot\/incident\.ts$/];
  // Dispatch over kinds; narrowing to one kind to read its fields (alert.kind === "stuck-job") is not.
  const kindCase = new RegExp(`case "(${ALERT_KINDS.join("|")})":|switch \\(alert\\.kind\\)`);

  it("finds none in shared/, cli/ or functions/", () => {
    const files = ["shared", "cli", "functions"].flatMap(sourceFiles).map((p) => relative(ROOT, join(ROOT, p)).replaceAll("\\", "/"));
    expect(files.length).toBeGreaterThan(50);
    const offenders = files
      .filter((file) => !allowed.some((pattern) => pattern.test(file)))
      .flatMap((file) =>
        readFileSync(join(ROOT, file), "utf8")
          .split("\n")
          .flatMap((line, i) => (kindCase.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });
});
