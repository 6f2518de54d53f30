import { describe, expect, it } from "vitest";
import { alertSummary, buildAlertMessage, buildEmailMessages, buildWorkflowsMessages, renderAlertCard, renderAlertEmail } from "../../shared/render/index.js";
import { failedExchangeJob, RENDER_CONTEXT } from "../support/alert-fixtures.js";
import { degradedCredential, degradedMalformed, degradedResolved, degradedUnreachable, MONITORING_FIXTURES, testMessage } from "../support/monitoring-fixtures.js";
import { golden, goldenJsonText } from "../support/golden.js";
import { validateAdaptiveCard } from "../support/validate-card.js";

function expectGolden(name: string, value: unknown): void {
  const actual = goldenJsonText(value);
  expect(actual).toBe(golden(`cards/${name}.json`, actual));
}

describe("monitoring cards", () => {
  it.each(Object.entries(MONITORING_FIXTURES))("%s matches its golden file and is a valid 1.4 card", (name, alert) => {
    const card = renderAlertCard(alert, RENDER_CONTEXT);
    expectGolden(name, buildAlertMessage(alert, RENDER_CONTEXT).payload);
    expect(validateAdaptiveCard(card)).toEqual({ errors: [], warnings: [] });
  });

  it.each([
    [degradedCredential, "Credential or permission refused", "has not expired"],
    [degradedUnreachable, "AvePoint API unreachable", "service status"],
    [degradedMalformed, "Response not understood", "matches the API version"],
  ])("says what broke and what to check (%#)", (alert, problem, check) => {
    const text = JSON.stringify(renderAlertCard(alert, RENDER_CONTEXT));
    expect(text).toContain("Monitoring degraded: jobs monitor failed 3 cycles in a row");
    expect(text).toContain(problem);
    expect(text).toContain("What to check");
    expect(text).toContain(check);
  });

  it("keeps the AvePoint endpoint our error names copyable, and defangs links the API sent", () => {
    const alert = { ...degradedCredential, error: `${degradedCredential.error} See https://evil.example/fix or https://identity.avepointonlineservices.com/phish.` };
    const card = JSON.stringify(renderAlertCard(alert, RENDER_CONTEXT));
    expect(card).toContain("AvePoint token endpoint https://identity.avepointonlineservices.com refused the request");
    expect(card).toContain(String.raw`https\\[:\\]//evil\\[.\\]example/fix`);
    expect(card).toContain(String.raw`https\\[:\\]//identity\\[.\\]avepointonlineservices\\[.\\]com/phish`);
    const { text } = renderAlertEmail(alert, RENDER_CONTEXT);
    expect(text).toContain("AvePoint token endpoint https://identity.avepointonlineservices.com refused the request");
    expect(text).toContain("https[:]//evil[.]example/fix");
  });

  it("the resolve says so and has nothing to check", () => {
    const text = JSON.stringify(renderAlertCard(degradedResolved, RENDER_CONTEXT));
    expect(text).toContain("Resolved: Jobs monitor works again");
    expect(text).not.toContain("What to check");
    expect(alertSummary(degradedResolved, RENDER_CONTEXT)).toBe("[RESOLVED] Jobs monitor works again \u2014 Contoso");
  });

  it("the test message is labelled as one", () => {
    expect(alertSummary(testMessage, RENDER_CONTEXT)).toBe("[TEST] Test alert from Cloud Backup Alerts \u2014 no action needed \u2014 Contoso");
    expect(JSON.stringify(renderAlertCard(testMessage, RENDER_CONTEXT))).toContain("No action needed");
  });

  it("takes part in digests, cards and email, with its own count", () => {
    const [post] = buildWorkflowsMessages([failedExchangeJob, degradedCredential, degradedResolved], RENDER_CONTEXT, { groupThreshold: 1 });
    const text = JSON.stringify(post?.payload);
    expect(text).toContain("1 job alert, 2 monitoring notices");
    expect(validateAdaptiveCard(post!.payload.attachments[0].content)).toEqual({ errors: [], warnings: [] });
    const [email] = buildEmailMessages([failedExchangeJob, degradedCredential], RENDER_CONTEXT, { groupThreshold: 1 });
    expect(email?.message.text).toContain("Monitoring degraded: jobs monitor failed 3 cycles in a row");
  });
});

describe("monitoring emails", () => {
  it.each(Object.entries(MONITORING_FIXTURES))("%s renders a subject, HTML and text that agree", (_name, alert) => {
    const message = renderAlertEmail(alert, RENDER_CONTEXT);
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.text).toContain(message.subject.replace(/^\[[A-Z]+\] /, "").slice(0, 30));
    expect(message.html).toContain("<html");
  });

  it("subjects", () => {
    expect(renderAlertEmail(degradedUnreachable, RENDER_CONTEXT).subject).toBe("[CRITICAL] Monitoring degraded: jobs monitor failed 3 cycles in a row");
    expect(renderAlertEmail(testMessage, RENDER_CONTEXT).subject).toBe("[TEST] Test alert from Cloud Backup Alerts \u2014 no action needed");
    expect(renderAlertEmail(MONITORING_FIXTURES["monitoring-credential-expiring-7"], RENDER_CONTEXT).subject).toBe(
      "[CRITICAL] AvePoint certificate expires in 7 days (2026-12-05)",
    );
  });

  it("the degraded email lists what to check", () => {
    const { text } = renderAlertEmail(degradedCredential, RENDER_CONTEXT);
    expect(text).toContain("What to check");
    expect(text).toContain("admin consent");
  });
});
