import { describe, expect, it, test } from "vitest";
import { golden } from "../support/golden.js";
import type { Alert, SilenceRef } from "../../shared/alerts/model.js";
import { decodeAlert, encodeAlert } from "../../shared/ledger/alert-codec.js";
import type { Silence } from "../../shared/config/routing-file.js";
import { buildSilenceSummary, SILENCE_SUMMARY_MAX_LISTED } from "../../shared/routing/silence-summary.js";
import { nextSilenceWindow, silenceWindowAt } from "../../shared/routing/silence-window.js";
import { toBotCard } from "../../shared/render/bot-card.js";
import { alertSummary, buildAlertMessage, buildWorkflowsMessages, renderAlertCard, renderAlertEmail, renderDigestEmail } from "../../shared/render/index.js";
import { silenceWindowText } from "../../shared/render/kinds/silence-summary.js";
import { failedExchangeJob, makeJob, makeJobAlert, partiallyFinishedOneDriveJob, RENDER_CONTEXT, seatsWarning, TENANT } from "../support/alert-fixtures.js";
import { validateAdaptiveCard } from "../support/validate-card.js";

/** Compares with test/golden/<path> exactly; UPDATE_GOLDEN=1 rewrites it. */
function expectGolden(path: string, actual: string): void {
  expect(actual).toBe(golden(path, actual));
}

const weekly = (days: Silence["weekly"] extends infer W ? (W extends { days: infer D } ? D : never) : never, start: string, end: string, extra: Partial<Silence> = {}): Silence => ({
  name: "maintenance",
  matchers: {},
  weekly: { days, start, end, timeZone: "Europe/Berlin" },
  ...extra,
});
const iso = (d: Date | undefined) => d?.toISOString();

describe("silence windows as instants", () => {
  test.each([
    // [case, silence, at, start, end]
    ["a Sunday window in winter (UTC+1)", weekly(["sunday"], "02:00", "06:00"), "2026-11-29T03:30:00Z", "2026-11-29T01:00:00.000Z", "2026-11-29T05:00:00.000Z"],
    ["the Sunday Berlin springs forward: 02:00 does not exist, three real hours", weekly(["sunday"], "02:00", "06:00"), "2026-03-29T02:00:00Z", "2026-03-29T01:00:00.000Z", "2026-03-29T04:00:00.000Z"],
    ["the Sunday Berlin falls back: five real hours", weekly(["sunday"], "02:00", "06:00"), "2026-10-25T03:00:00Z", "2026-10-25T00:00:00.000Z", "2026-10-25T05:00:00.000Z"],
    ["past midnight into the next day", weekly(["saturday"], "22:00", "04:00"), "2026-11-29T01:00:00Z", "2026-11-28T21:00:00.000Z", "2026-11-29T03:00:00.000Z"],
    ["touching windows are one", weekly(["saturday", "sunday"], "00:00", "24:00"), "2026-11-28T12:00:00Z", "2026-11-27T23:00:00.000Z", "2026-11-29T23:00:00.000Z"],
    ["clipped by ends", weekly(["sunday"], "02:00", "06:00", { ends: new Date("2026-11-29T02:00:00Z") }), "2026-11-29T01:30:00Z", "2026-11-29T01:00:00.000Z", "2026-11-29T02:00:00.000Z"],
    [
      "an absolute window",
      { name: "migration", matchers: {}, starts: new Date("2026-12-01T20:00:00Z"), ends: new Date("2026-12-02T06:00:00Z") },
      "2026-12-01T23:00:00Z",
      "2026-12-01T20:00:00.000Z",
      "2026-12-02T06:00:00.000Z",
    ],
  ] as const)("%s", (_case, silence, at, start, end) => {
    const window = silenceWindowAt(silence as Silence, new Date(at));
    expect([iso(window?.start), iso(window?.end)]).toEqual([start, end]);
  });

  it("is undefined outside the window", () => {
    expect(silenceWindowAt(weekly(["sunday"], "02:00", "06:00"), new Date("2026-11-29T05:00:00Z"))).toBeUndefined();
  });

  it("the next window: the one in force, else the next to start, else none", () => {
    const sunday = weekly(["sunday"], "02:00", "06:00");
    expect(iso(nextSilenceWindow(sunday, new Date("2026-11-29T03:00:00Z"))?.start)).toBe("2026-11-29T01:00:00.000Z");
    expect(iso(nextSilenceWindow(sunday, new Date("2026-11-29T05:00:00Z"))?.start)).toBe("2026-12-06T01:00:00.000Z");
    expect(iso(nextSilenceWindow(sunday, new Date("2026-11-29T05:00:00Z"))?.end)).toBe("2026-12-06T05:00:00.000Z");
    const bounded = weekly(["sunday"], "02:00", "06:00", { ends: new Date("2026-12-01T00:00:00Z") });
    expect(nextSilenceWindow(bounded, new Date("2026-11-29T05:00:00Z"))).toBeUndefined();
    const absolute: Silence = { name: "m", matchers: {}, starts: new Date("2026-12-01T20:00:00Z"), ends: new Date("2026-12-02T06:00:00Z") };
    expect(iso(nextSilenceWindow(absolute, new Date("2026-11-01T00:00:00Z"))?.start)).toBe("2026-12-01T20:00:00.000Z");
    expect(nextSilenceWindow(absolute, new Date("2026-12-03T00:00:00Z"))).toBeUndefined();
  });
});

const WINDOW: SilenceRef = {
  name: "sunday-maintenance",
  windowStart: new Date("2026-11-29T01:00:00Z"),
  windowEnd: new Date("2026-11-29T05:00:00Z"),
  timeZone: "Europe/Berlin",
};
const SENT_AT = new Date("2026-11-29T05:05:00Z");
const heldBack: Alert[] = [{ ...failedExchangeJob, silencedBy: WINDOW }, partiallyFinishedOneDriveJob, seatsWarning];
const summary = buildSilenceSummary(TENANT, WINDOW, heldBack, SENT_AT);

describe("the summary alert", () => {
  it("is one identity per silence window, whatever it lists and whenever it is built", () => {
    const later = buildSilenceSummary(TENANT, WINDOW, heldBack.slice(0, 1), new Date("2026-11-29T06:00:00Z"));
    expect(later.fingerprint).toBe(summary.fingerprint);
    expect(buildSilenceSummary(TENANT, { ...WINDOW, windowEnd: new Date("2026-12-06T05:00:00Z") }, heldBack, SENT_AT).fingerprint).not.toBe(summary.fingerprint);
    expect(summary).toMatchObject({ kind: "silence-summary", severity: "info", status: "firing", total: 3 });
    // The listed copies drop their own silence tag.
    expect(summary.alerts.every((a) => a.silencedBy === undefined)).toBe(true);
  });

  it("lists at most SILENCE_SUMMARY_MAX_LISTED alerts and counts the rest", () => {
    const many = Array.from({ length: SILENCE_SUMMARY_MAX_LISTED + 7 }, (_, i) => makeJobAlert(makeJob({ id: `IB-MANY-${i}` }), { service: 1 }));
    const big = buildSilenceSummary(TENANT, WINDOW, many, SENT_AT);
    expect([big.alerts.length, big.total]).toEqual([SILENCE_SUMMARY_MAX_LISTED, SILENCE_SUMMARY_MAX_LISTED + 7]);
    // It still fits one Teams post, and says what it left out.
    const message = buildAlertMessage(big, RENDER_CONTEXT);
    expect(JSON.stringify(message.payload)).toMatch(/and \d+ more alerts not listed here/);
  });

  it("round-trips through the ledger codec with every date a Date", () => {
    const back = decodeAlert(encodeAlert(summary));
    expect(back).toEqual(summary);
    expect(back.kind === "silence-summary" && back.silence.windowEnd instanceof Date && back.alerts[0]?.detectedAt instanceof Date).toBe(true);
  });
});

describe("rendering", () => {
  it("reads the window in the silence's own clock", () => {
    expect(silenceWindowText(WINDOW)).toBe("Sun 29 Nov 02:00\u201306:00 Europe/Berlin");
    expect(silenceWindowText({ name: "m", windowStart: new Date("2026-11-28T21:00:00Z"), windowEnd: new Date("2026-11-29T03:00:00Z"), timeZone: "Europe/Berlin" })).toBe(
      "Sat 28 Nov 22:00 \u2013 Sun 29 Nov 04:00 Europe/Berlin",
    );
    expect(silenceWindowText({ name: "m", windowStart: new Date("2026-11-29T20:00:00Z"), windowEnd: new Date("2026-11-30T00:00:00Z") })).toBe("Sun 29 Nov 20:00\u201324:00 UTC");
  });

  it("the card matches its golden file, lists every held-back alert and is a valid Adaptive Card 1.4", () => {
    const card = renderAlertCard(summary, RENDER_CONTEXT);
    expectGolden("cards/silence-summary-sunday.json", `${JSON.stringify(card, null, 2)}\n`);
    expect(validateAdaptiveCard(card).errors).toEqual([]);
    const text = JSON.stringify(card);
    expect(text).toContain("While silenced (sunday-maintenance, Sun 29 Nov 02:00\u201306:00 Europe/Berlin): 3 alerts");
    for (const id of [failedExchangeJob.job.id, partiallyFinishedOneDriveJob.job.id]) expect(text).toContain(id);
    expect(text).toContain("seats");
    expect(alertSummary(summary, RENDER_CONTEXT)).toBe("[INFO] While silenced (sunday-maintenance, Sun 29 Nov 02:00\u201306:00 Europe/Berlin): 3 alerts \u2014 Contoso");
  });

  it("the bot's 1.5 variant is valid too", () => {
    const card = toBotCard(renderAlertCard(summary, RENDER_CONTEXT), null);
    expect(validateAdaptiveCard(card, { targetVersion: "1.5" }).errors).toEqual([]);
  });

  it("the email matches its golden subject, HTML and text", () => {
    const email = renderAlertEmail(summary, RENDER_CONTEXT);
    expectGolden("emails/silence-summary-sunday.subject", `${email.subject}\n`);
    expectGolden("emails/silence-summary-sunday.html", email.html);
    expectGolden("emails/silence-summary-sunday.txt", email.text);
    expect(email.subject).toBe("[INFO] While silenced (sunday-maintenance, Sun 29 Nov 02:00\u201306:00 Europe/Berlin): 3 alerts");
    for (const id of [failedExchangeJob.job.id, partiallyFinishedOneDriveJob.job.id]) expect(email.text).toContain(id);
  });

  it("inside a digest (card and email) it names its first held-back alerts", () => {
    const cycle: Alert[] = [summary, failedExchangeJob, seatsWarning];
    const [post] = buildWorkflowsMessages(cycle, RENDER_CONTEXT, { groupThreshold: 2 });
    const card = post!.payload.attachments[0].content;
    expect(validateAdaptiveCard(card).errors).toEqual([]);
    expect(JSON.stringify(card)).toContain("1 silence summary");
    expect(JSON.stringify(card)).toContain("While silenced (sunday-maintenance");
    const email = renderDigestEmail(cycle, RENDER_CONTEXT);
    expect(email.text).toContain("While silenced (sunday-maintenance");
    expect(email.text).toContain("Backup job failed: Exchange Online");
  });
});
