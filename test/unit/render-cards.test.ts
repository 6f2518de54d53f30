import { describe, expect, it } from "vitest";
import type { Alert, JobAlert } from "../../shared/alerts/model.js";
import {
  alertSummary,
  buildAlertMessage,
  buildWorkflowsMessages,
  CardTooLargeError,
  FULL_DETAIL,
  renderAlertCard,
  WORKFLOWS_MAX_BYTES,
  type AdaptiveCard,
  type WorkflowsMessage,
} from "../../shared/render/index.js";
import {
  ALERT_FIXTURES,
  exchangeRecovery,
  failedExchangeJob,
  failedUnknownServiceJob,
  finishedExceptionSharePointJob,
  HOSTILE_TEXTS,
  hostileTextJob,
  makeJob,
  makeJobAlert,
  manyJobAlerts,
  outOfPolicyCritical,
  partiallyFinishedOneDriveJob,
  RENDER_CONTEXT,
  seatsCritical,
  seatsReminder,
  seatsWarning,
  storageResolved,
  storageWarning,
  unknownStateJob,
  type AlertFixtureName,
} from "../support/alert-fixtures.js";
import { golden, goldenJsonText } from "../support/golden.js";
import { validateAdaptiveCard } from "../support/validate-card.js";

function expectGolden(name: string, value: unknown): void {
  const actual = goldenJsonText(value);
  expect(actual).toBe(golden(`cards/${name}.json`, actual));
}

function cardOf(message: WorkflowsMessage): AdaptiveCard {
  return message.payload.attachments[0].content;
}

interface Rendered {
  kind: "TextBlock" | "Fact";
  text: string;
  style?: string;
}

/** Every string Teams renders as markdown: TextBlock texts and fact titles and values. */
function renderedTexts(node: unknown): Rendered[] {
  if (Array.isArray(node)) return node.flatMap(renderedTexts);
  if (node === null || typeof node !== "object") return [];
  const el = node as Record<string, unknown>;
  const own: Rendered[] = [];
  if (el["type"] === "TextBlock" && typeof el["text"] === "string") own.push({ kind: "TextBlock", text: el["text"] });
  if (el["type"] === "FactSet" && Array.isArray(el["facts"])) {
    for (const f of el["facts"] as { title: string; value: string }[]) {
      own.push({ kind: "Fact", text: f.title }, { kind: "Fact", text: f.value });
    }
  }
  return [...own, ...Object.values(el).flatMap(renderedTexts)];
}

function allText(card: AdaptiveCard): string {
  return renderedTexts(card.body)
    .map((t) => t.text)
    .join("\n");
}

/** Markdown source with escaped characters removed, as a CommonMark renderer would see active syntax. */
function activeSyntax(markdown: string): string {
  return markdown.replace(/\\[!-/:-@[-`{-~]/g, "\u2022");
}

/**
 * What would make a TextBlock show a link or formatting an attacker chose: a
 * markdown link or image, an autolink, raw URL schemes, www., dotted host names
 * of the hostile fixtures, HTML, emphasis markers, Adaptive Card functions.
 */
function linkProblems(markdown: string): string[] {
  const active = activeSyntax(markdown);
  const problems: string[] = [];
  if (/\[[^\]]*\]\s*\(/.test(active)) problems.push("markdown link or image");
  if (/<[^>]*>/.test(active)) problems.push("HTML or autolink");
  if (/[a-z][a-z0-9+.-]*:\/\//i.test(markdown)) problems.push("raw URL scheme");
  if (/\bwww\./i.test(markdown)) problems.push("raw www.");
  // Host names of the hostile inputs with real TLDs (".example" is reserved and never linked).
  if (/\b(?:evil\.com|evil-example\.com|contoso-support\.com|10\.0\.0\.1)\b/i.test(markdown)) problems.push("raw host name");
  if (/\*\*|__|~~|`/.test(active)) problems.push("emphasis or code");
  if (/\{\{/.test(active)) problems.push("Adaptive Card function");
  return problems;
}

const FIXTURE_NAMES = Object.keys(ALERT_FIXTURES) as AlertFixtureName[];
const FIVE_ALERTS: Alert[] = [failedExchangeJob, unknownStateJob, exchangeRecovery, seatsWarning, outOfPolicyCritical];

describe("single alert cards", () => {
  it.each(FIXTURE_NAMES)("%s matches its golden file, validates cleanly and fits", (name) => {
    const message = buildAlertMessage(ALERT_FIXTURES[name], RENDER_CONTEXT);
    expectGolden(name, message.payload);
    const card = cardOf(message);
    expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
    expect(card.version).toBe("1.4");
    expect(card.msteams).toEqual({ width: "Full" });
    expect(message.bytes).toBe(Buffer.byteLength(JSON.stringify(message.payload), "utf8"));
    expect(message.bytes).toBeLessThanOrEqual(WORKFLOWS_MAX_BYTES);
    expect(message.fingerprints).toEqual([ALERT_FIXTURES[name].fingerprint]);
    expect(card.actions).toEqual([{ type: "Action.OpenUrl", title: "Open AvePoint Online Services", url: RENDER_CONTEXT.portalUrl }]);
    expect(message.payload.summary).toBe(card.fallbackText);
    expect(message.payload.attachments).toEqual([{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card }]);
  });

  it.each([
    [failedExchangeJob, "Backup job failed: Exchange Online", "attention"],
    [finishedExceptionSharePointJob, "Backup job finished with exceptions: SharePoint Online", "warning"],
    [partiallyFinishedOneDriveJob, "Backup job partially finished: OneDrive", "warning"],
    [failedUnknownServiceJob, "Backup job failed", "attention"],
    [unknownStateJob, 'Backup job in an unrecognized state "Suspended\\_ByPolicy": Teams', "warning"],
    [exchangeRecovery, "Resolved: Exchange Online backups succeed again", "good"],
    [seatsWarning, "Backup seats running low (95% assigned)", "warning"],
    [seatsCritical, "Backup seats almost used up (99% assigned)", "attention"],
    [storageWarning, "Backup storage running low (95% used)", "warning"],
    [storageResolved, "Resolved: Backup storage back to normal (75% used)", "good"],
    [outOfPolicyCritical, "Subscription out of policy", "attention"],
    [seatsReminder, "Reminder: Backup seats still almost used up (99% assigned)", "attention"],
  ] as [Alert, string, string][])("title and severity style of %#", (alert, title, style) => {
    const card = renderAlertCard(alert, RENDER_CONTEXT);
    const header = card.body[0];
    expect(header?.type).toBe("Container");
    if (header?.type !== "Container") return;
    expect(header.style).toBe(style);
    expect(header.items[0]).toMatchObject({ type: "TextBlock", text: title, color: style });
  });

  it.each([
    [failedExchangeJob, "[CRITICAL] Backup job failed: Exchange Online (IB2026112906480012345) \u2014 Contoso"],
    [failedUnknownServiceJob, "[CRITICAL] Backup job failed (XX2026112907000099999) \u2014 Contoso"],
    [unknownStateJob, '[WARNING] Backup job in an unrecognized state "Suspended_ByPolicy": Teams (TM2026112907300077777) \u2014 Contoso'],
    [exchangeRecovery, "[RESOLVED] Exchange Online backups succeed again (IB2026112909000067890) \u2014 Contoso"],
    [seatsWarning, "[WARNING] Backup seats running low (95% assigned) \u2014 Contoso"],
    [storageResolved, "[RESOLVED] Backup storage back to normal (75% used) \u2014 Contoso"],
    [seatsReminder, "[CRITICAL] Reminder: Backup seats still almost used up (99% assigned) \u2014 Contoso"],
  ] as [Alert, string][])("summary line %#", (alert, summary) => {
    expect(alertSummary(alert, RENDER_CONTEXT)).toBe(summary);
    expect(renderAlertCard(alert, RENDER_CONTEXT).fallbackText).toBe(summary);
  });

  it("job card: id verbatim in monospace, times, duration, counts, tenant", () => {
    const card = renderAlertCard(failedExchangeJob, RENDER_CONTEXT);
    const texts = renderedTexts(card.body).map((t) => t.text);
    expect(card.body).toContainEqual({ type: "TextBlock", text: "IB2026112906480012345", wrap: true, fontType: "monospace", weight: "bolder", spacing: "none" });
    const facts = card.body.find((e) => e.type === "FactSet");
    expect(facts).toEqual({
      type: "FactSet",
      spacing: "medium",
      facts: [
        { title: "Service", value: "Exchange Online" },
        { title: "State", value: "Failed" },
        { title: "Started", value: "2026-11-29 06:48 UTC" },
        { title: "Finished", value: "2026-11-29 08:00 UTC" },
        { title: "Duration", value: "1 h 12 min" },
        { title: "Objects", value: "1,234 total, 12 failed, 1,200 successful, 22 skipped" },
        { title: "Tenant", value: "Contoso" },
      ],
    });
    expect(texts).toContain("Contoso \u00B7 CRITICAL \u00B7 detected 2026-11-29 08:15 UTC");
  });

  it("job card lists the five most frequent errors with counts and counts the rest", () => {
    const texts = renderedTexts(renderAlertCard(failedExchangeJob, RENDER_CONTEXT).body).map((t) => t.text);
    const errorLines = texts.filter((t) => / \u00D7 /.test(t));
    expect(errorLines).toEqual([
      "41 \u00D7 Request was throttled by Exchange Online; the item will be retried in the next job.",
      "9 \u00D7 The connection to the Exchange server timed out.",
      "7 \u00D7 The mailbox could not be accessed because the account is disabled.",
      "3 \u00D7 The item exceeds the maximum supported size.",
      "2 \u00D7 Access to the archive mailbox was denied.",
    ]);
    expect(texts).toContain("and 2 more (2 occurrences); see AvePoint Online Services for the full list");
  });

  it("unknown state is a warning that shows the raw state and explains itself", () => {
    const card = renderAlertCard(unknownStateJob, RENDER_CONTEXT);
    const text = allText(card);
    expect(text).toContain('Unrecognized: "Suspended\\_ByPolicy"');
    expect(text).toContain("does not recognize");
    expect(alertSummary(unknownStateJob, RENDER_CONTEXT)).toMatch(/^\[WARNING\]/);
  });

  it("a job without id, times or counts still renders every field", () => {
    const alert = makeJobAlert(makeJob({ id: null, startTime: null, finishTime: null, durationMs: null, counts: null }));
    const card = renderAlertCard(alert, RENDER_CONTEXT);
    expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
    const text = allText(card);
    expect(text).toContain("not reported by the API");
    expect(text).toContain("not reported");
    expect(text).not.toContain("Objects");
  });

  it("recovery card names the successful job, its finish time and the failures it resolves", () => {
    const text = allText(renderAlertCard(exchangeRecovery, RENDER_CONTEXT));
    expect(text).toContain("IB2026112909000067890");
    expect(text).toContain("2026-11-29 09:41 UTC");
    expect(text).toContain("Resolves 2 failed jobs");
    expect(text).toContain("IB2026112906480012345, IB2026112902480012222");
  });

  it.each([
    [seatsWarning, ["95 of 100 seats assigned (95%)", "+5 seats since the last notice", "At the recent rate, seats run out on 2026-12-14 (0.3 seats per day)", "Now at warning: 95% of seats assigned"]],
    [seatsCritical, ["99 of 100 seats assigned (99%)", "+4 seats since the last notice", "Up to critical: 99% of seats assigned"]],
    [storageWarning, ["1,900 of 2,000 GB protected (95%)", "+50 GB since the last notice", "Not rising"]],
    [storageResolved, ["1,500 of 2,000 GB protected (75%)", "\u2212400 GB since the last notice", "Back to normal: 75% of storage used"]],
    [outOfPolicyCritical, ["Subscription out of policy since 2026-11-20", "Backups may stop"]],
    [seatsReminder, ["No change since the last notice", "Still at critical: "]],
  ] as [Alert, string[]][])("license card %# shows numbers, change and forecast", (alert, expected) => {
    const text = allText(renderAlertCard(alert, RENDER_CONTEXT));
    for (const fragment of expected) expect(text).toContain(fragment);
  });
});

describe("plain words", () => {
  it("a resolved card says when it was resolved, not when it was detected", () => {
    for (const alert of [exchangeRecovery, storageResolved]) {
      const text = allText(renderAlertCard(alert, RENDER_CONTEXT));
      expect(text).toMatch(/RESOLVED \u00B7 resolved at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      expect(text).not.toContain("detected");
    }
    expect(allText(renderAlertCard(failedExchangeJob, RENDER_CONTEXT))).toMatch(/CRITICAL \u00B7 detected \d{4}-/);
  });

  it("a digest of recoveries only says when they were resolved; a mixed one when the latest was detected", () => {
    const [resolvedOnly] = buildWorkflowsMessages([exchangeRecovery, storageResolved], RENDER_CONTEXT, { groupThreshold: 0 });
    expect(JSON.stringify(resolvedOnly?.payload)).toMatch(/ \u00B7 resolved at \d{4}-/);
    expect(JSON.stringify(resolvedOnly?.payload)).not.toContain("detected");
    const [mixed] = buildWorkflowsMessages([exchangeRecovery, failedExchangeJob], RENDER_CONTEXT, { groupThreshold: 0 });
    expect(JSON.stringify(mixed?.payload)).toMatch(/ \u00B7 detected \d{4}-/);
  });

  it("fact labels never break inside (Teams sizes the label column to its longest word)", () => {
    for (const alert of Object.values(ALERT_FIXTURES)) {
      const card = renderAlertCard(alert, RENDER_CONTEXT);
      const titles = JSON.stringify(card).match(/"title":"[^"]*"/g) ?? [];
      const factTitles = titles.filter((t) => !t.startsWith('"title":"Open '));
      for (const t of factTitles) expect(t).not.toMatch(/ /);
    }
  });
});

describe("hostile API text", () => {
  // Every hostile error listed (a full card shows five), so every text is checked.
  const hostileCard = renderAlertCard(hostileTextJob, RENDER_CONTEXT, { ...FULL_DETAIL, maxErrors: HOSTILE_TEXTS.length });

  it("never becomes a link, raw URL, HTML or formatting in any rendered text", () => {
    for (const t of renderedTexts(hostileCard.body)) expect({ text: t.text, problems: linkProblems(t.text) }).toEqual({ text: t.text, problems: [] });
  });

  it("stays readable: defanged, escaped, nothing removed", () => {
    expect(renderedTexts(hostileCard.body).map((t) => t.text)).toEqual(
      expect.arrayContaining([
        'Unrecognized: "\\[Suspended\\](https\\[:\\]//evil\\[.\\]example/state)"',
        "10 \u00D7 \\[Reset your password\\](https\\[:\\]//evil\\[.\\]example/login) now",
        "Reference: https\\[:\\]//evil\\[.\\]example/docs?code=42",
        "9 \u00D7 \\*\\*URGENT\\*\\*: visit www\\[.\\]evil-example\\[.\\]com or http\\[:\\]//10\\[.\\]0\\[.\\]0\\[.\\]1/reset",
        '8 \u00D7 \\<a href="https\\[:\\]//evil\\[.\\]example"\\>click\\</a\\> \\<img src=x onerror=alert(1)\\>',
        "7 \u00D7 !\\[pixel\\](https\\[:\\]//evil\\[.\\]example/p.png) \\_italic\\_ \\`code\\` \\~\\~strike\\~\\~",
        "6 \u00D7 Contact admin@contoso-support\\[.\\]com or go to contoso-support\\[.\\]com/reset",
        "5 \u00D7 \\{\\{DATE(2017-02-14T06:08:39Z, SHORT)\\}\\} \\&\\#104;ttps\\[:\\]//evil\\[.\\]example",
        "4 \u00D7 \\- injected list item \\# injected heading 1. numbered \\> quote",
        "3 \u00D7 Zerowidth https\\[:\\]//evil\\[.\\]example and hxxp\\[:\\]//ok",
      ]),
    );
  });

  it("the summary and fallback text carry no raw URL or markdown link either", () => {
    const alert = makeJobAlert(makeJob({ id: "[x](https://evil.example/a) www.evil.example" }), { service: 1 });
    const summary = alertSummary(alert, RENDER_CONTEXT);
    expect(summary).not.toMatch(/:\/\/|www\.|\]\(/);
    expect(summary).toContain("[x] (https[:]//evil[.]example/a) www[.]evil[.]example");
  });

  it("hostile job ids, raw states and tenant labels are escaped in every card kind", () => {
    const id = "<b>ID</b>[x](http://evil.example)";
    const alerts: Alert[] = [
      makeJobAlert(makeJob({ id, state: "Unknown", rawState: "**www.evil.example**" }), { tenant: "[t](https://evil.example)" }),
      { ...exchangeRecovery, tenant: "www.evil.example", resolvedJobIds: [id, id], job: { ...exchangeRecovery.job, id } },
      { ...seatsWarning, tenant: "<i>x</i> http://10.0.0.1" },
    ];
    const messages = buildWorkflowsMessages(alerts, RENDER_CONTEXT, { groupThreshold: 3 });
    const digest = buildWorkflowsMessages(alerts, { ...RENDER_CONTEXT, tenantName: "evil.com" }, { groupThreshold: 0 });
    for (const message of [...messages, ...digest]) {
      const card = cardOf(message);
      expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
      for (const t of renderedTexts(card.body)) expect({ text: t.text, problems: linkProblems(t.text) }).toEqual({ text: t.text, problems: [] });
      expect(message.payload.summary).not.toMatch(/:\/\/|www\.|\]\(|evil\.com/);
    }
  });

  it("the checker itself catches what it must (so the tests above can fail)", () => {
    expect(linkProblems("[a](https://x.io)")).toContain("markdown link or image");
    expect(linkProblems("\\[a\\](b)")).toEqual([]);
    expect(linkProblems("see www.contoso.com")).toContain("raw www.");
    expect(linkProblems("**bold**")).toContain("emphasis or code");
    expect(linkProblems("<b>x</b>")).toContain("HTML or autolink");
  });

  it("prints each hostile text of the fixture", () => {
    expect(hostileTextJob.job.errors.map((e) => e.message)).toEqual([...HOSTILE_TEXTS]);
  });
});

describe("buildWorkflowsMessages", () => {
  it("posts one card per alert up to the threshold, in order", () => {
    const alerts = [failedExchangeJob, seatsWarning, exchangeRecovery];
    const messages = buildWorkflowsMessages(alerts, RENDER_CONTEXT, { groupThreshold: 3 });
    expect(messages.map((m) => m.fingerprints)).toEqual(alerts.map((a) => [a.fingerprint]));
    expect(messages.map((m) => m.payload.summary)).toEqual(alerts.map((a) => alertSummary(a, RENDER_CONTEXT)));
  });

  it("returns nothing for no alerts", () => {
    expect(buildWorkflowsMessages([], RENDER_CONTEXT, { groupThreshold: 0 })).toEqual([]);
  });

  it("groups five alerts above the threshold into one digest that lists each", () => {
    const messages = buildWorkflowsMessages(FIVE_ALERTS, RENDER_CONTEXT, { groupThreshold: 3 });
    expect(messages).toHaveLength(1);
    const [message] = messages;
    if (!message) return;
    expectGolden("digest-5", message.payload);
    const card = cardOf(message);
    expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
    expect([...message.fingerprints].sort()).toEqual(FIVE_ALERTS.map((a) => a.fingerprint).sort());
    const text = allText(card);
    for (const fragment of [
      "IB2026112906480012345",
      "TM2026112907300077777",
      "12 of 1,234 objects failed",
      "Exchange Online backups succeed again",
      "95 of 100 seats assigned (95%)",
      "Subscription out of policy since 2026-11-20",
    ]) {
      expect(text).toContain(fragment);
    }
    expect(message.payload.summary).toBe("[CRITICAL] 5 backup alerts: 2 job alerts, 1 recovery, 2 license notices \u2014 Contoso");
    // Critical first, resolved last.
    expect(message.fingerprints[message.fingerprints.length - 1]).toBe(exchangeRecovery.fingerprint);
  });

  it("splits 60 alerts into digest parts that each fit 20 KB and carry every alert exactly once", () => {
    const alerts = manyJobAlerts(60);
    const messages = buildWorkflowsMessages(alerts, RENDER_CONTEXT, { groupThreshold: 3 });
    expect(messages.length).toBeGreaterThan(1);
    messages.forEach((message, i) => {
      expectGolden(`digest-60-part-${i + 1}`, message.payload);
      const card = cardOf(message);
      expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
      expect(message.bytes).toBeLessThanOrEqual(WORKFLOWS_MAX_BYTES);
      expect(message.bytes).toBe(Buffer.byteLength(JSON.stringify(message.payload), "utf8"));
      expect(message.payload.summary).toContain(`(part ${i + 1} of ${messages.length})`);
      for (const fp of message.fingerprints) {
        const alert = alerts.find((a) => a.fingerprint === fp) as JobAlert;
        expect(allText(card)).toContain(alert.job.id ?? "");
      }
    });
    const all = messages.flatMap((m) => m.fingerprints);
    expect(all).toHaveLength(alerts.length);
    expect(new Set(all)).toEqual(new Set(alerts.map((a) => a.fingerprint)));
  });

  it("never drops an alert of a large, hostile batch and keeps every post in budget", () => {
    const big: Alert[] = manyJobAlerts(400).map((a, i) =>
      i % 7 === 0 ? { ...a, job: { ...a.job, errors: [{ message: `${"[x](https://evil.example) ".repeat(400)}`, count: 1 }] } } : a,
    );
    big.push(seatsWarning, storageResolved, { ...exchangeRecovery, resolvedJobIds: Array.from({ length: 500 }, (_u, i) => `ID${i}`) });
    const maxBytes = 15_000;
    const messages = buildWorkflowsMessages(big, RENDER_CONTEXT, { groupThreshold: 3, maxBytes });
    const all = messages.flatMap((m) => m.fingerprints);
    expect(all).toHaveLength(big.length);
    expect(new Set(all).size).toBe(big.length);
    for (const message of messages) {
      expect(message.bytes).toBeLessThanOrEqual(maxBytes);
      for (const t of renderedTexts(cardOf(message).body)) expect(linkProblems(t.text)).toEqual([]);
    }
    expect(messages.at(-1)?.payload.summary).toContain(`(part ${messages.length} of ${messages.length})`);
  });

  it("shrinks a single oversized card until it fits instead of dropping it", () => {
    const errors = Array.from({ length: 40 }, (_u, i) => ({ message: `Error ${i} ${"detail ".repeat(600)}`, count: 100 - i, url: `https://docs.example.com/${"p".repeat(800)}` }));
    const alert = makeJobAlert(makeJob({ errors }), { service: 1 });
    const message = buildAlertMessage(alert, RENDER_CONTEXT);
    expect(message.bytes).toBeLessThanOrEqual(WORKFLOWS_MAX_BYTES);
    const card = cardOf(message);
    expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
    const text = allText(card);
    expect(text).toContain("IB2026112906480012345");
    expect(text).toContain("\u2026");
    expect(text).toMatch(/and \d+ more \(\d[\d,]* occurrences\)/);
    // Stepped down, not emptied: the most frequent error is still listed.
    expect(text).toContain("100 \u00D7 Error 0");
  });

  it("a recovery with thousands of resolved ids lists a few and counts the rest", () => {
    const alert = { ...exchangeRecovery, resolvedJobIds: Array.from({ length: 3000 }, (_u, i) => `IB${String(i).padStart(19, "0")}`) };
    const message = buildAlertMessage(alert, RENDER_CONTEXT);
    expect(message.bytes).toBeLessThanOrEqual(WORKFLOWS_MAX_BYTES);
    expect(allText(cardOf(message))).toContain("and 2,980 more");
  });

  it("says so, by name, when even the most compact card cannot fit the budget", () => {
    let caught: unknown;
    try {
      buildWorkflowsMessages([failedExchangeJob], RENDER_CONTEXT, { groupThreshold: 3, maxBytes: 500 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CardTooLargeError);
    expect((caught as CardTooLargeError).name).toBe("CardTooLargeError");
    expect((caught as CardTooLargeError).message).toContain(failedExchangeJob.fingerprint);
    expect(() => buildWorkflowsMessages(FIVE_ALERTS, RENDER_CONTEXT, { groupThreshold: 0, maxBytes: 800 })).toThrow(CardTooLargeError);
  });
});

describe("validateAdaptiveCard", () => {
  it("reports what the package and the project reject", () => {
    const bad = {
      type: "AdaptiveCard",
      version: "1.5",
      body: [{ type: "Table", columns: [] }, { type: "TextBlock", text: "x", style: "heading" }, { type: "TextBlock" }],
      actions: [{ type: "Action.OpenUrl", title: "Open" }],
    };
    const { errors, warnings } = validateAdaptiveCard(bad);
    expect(errors.join("\n")).toMatch(/UnknownElementType.*Table/);
    expect(errors.join("\n")).toMatch(/PropertyCantBeNull.*url/);
    expect(errors.join("\n")).toMatch(/version must be "1\.4"/);
    expect(errors.join("\n")).toMatch(/TextBlock without text/);
    expect(warnings.join("\n")).toMatch(/UnsupportedProperty.*style/);
  });
});
