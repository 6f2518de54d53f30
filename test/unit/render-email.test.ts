import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { golden } from "../support/golden.js";
import type { Alert } from "../../shared/alerts/model.js";
import { buildEmailMessages, escapeHtml, renderAlertEmail, renderDigestEmail, type EmailMessage } from "../../shared/render/index.js";
import {
  ALERT_FIXTURES,
  exchangeRecovery,
  failedExchangeJob,
  failedUnknownServiceJob,
  HOSTILE_TEXTS,
  hostileTextJob,
  makeJob,
  makeJobAlert,
  manyJobAlerts,
  outOfPolicyCritical,
  RENDER_CONTEXT,
  seatsCritical,
  seatsReminder,
  seatsWarning,
  storageResolved,
  unknownStateJob,
  type AlertFixtureName,
} from "../support/alert-fixtures.js";

/** Compares with test/golden/emails/<name>.<ext> exactly; UPDATE_GOLDEN=1 rewrites it. */
function expectGoldenFile(name: string, ext: "html" | "txt" | "subject", actual: string): void {
  expect(actual).toBe(golden(`emails/${name}.${ext}`, actual));
}

function expectGolden(name: string, message: EmailMessage): void {
  expectGoldenFile(name, "subject", `${message.subject}\n`);
  expectGoldenFile(name, "html", message.html);
  expectGoldenFile(name, "txt", message.text);
}

function parse(html: string): Document {
  return new JSDOM(html).window.document;
}

/** What a reader sees in the HTML body, whitespace collapsed. */
function visibleText(html: string): string {
  return (parse(html).body.textContent ?? "").replace(/\s+/g, " ");
}

/** Raw URL patterns any mail client would auto-link, and the hostile fixtures' real host names. */
function linkProblems(text: string): string[] {
  const problems: string[] = [];
  if (/[a-z][a-z0-9+.-]*:\/\/(?!www\.avepointonlineservices\.com)/i.test(text)) problems.push("raw URL scheme");
  if (/\bwww\.(?!avepointonlineservices\.com)/i.test(text)) problems.push("raw www.");
  if (/\b(?:evil\.example|evil\.com|evil-example\.com|contoso-support\.com|10\.0\.0\.1)\b/i.test(text)) problems.push("raw host name");
  if (/[\w.+-]+@[\w-]+\.[a-z]{2,}/i.test(text)) problems.push("email address");
  return problems;
}

/** The only link is the portal button; no element or attribute an attacker chose. */
function expectSafeHtml(html: string): void {
  const doc = parse(html);
  const links = [...doc.querySelectorAll("a")];
  expect(links.map((a) => a.getAttribute("href"))).toEqual([RENDER_CONTEXT.portalUrl]);
  const tags = new Set([...doc.querySelectorAll("*")].map((e) => e.tagName.toLowerCase()));
  for (const tag of tags) expect(["html", "head", "meta", "title", "body", "div", "table", "tbody", "tr", "td", "p", "h1", "br", "span", "a"]).toContain(tag);
  for (const el of doc.querySelectorAll("*")) {
    for (const attr of el.getAttributeNames()) expect(attr).not.toMatch(/^on|^src$|^srcset$/i);
  }
  expect(html).not.toMatch(/<link|<style|<script|<img|url\(/i);
}

const FIXTURE_NAMES = Object.keys(ALERT_FIXTURES) as AlertFixtureName[];
const SIX_ALERTS: Alert[] = [seatsWarning, failedExchangeJob, exchangeRecovery, unknownStateJob, storageResolved, outOfPolicyCritical];

describe("single alert emails", () => {
  it.each(FIXTURE_NAMES)("%s matches its golden subject, HTML and text", (name) => {
    const message = renderAlertEmail(ALERT_FIXTURES[name], RENDER_CONTEXT);
    expectGolden(name, message);
    expectSafeHtml(message.html);
    expect(message.subject).not.toMatch(/[\r\n\u0000-\u001f]/);
    // Both bodies carry the title and every fact value.
    const title = parse(message.html).querySelector("h1")?.textContent ?? "";
    expect(title.length).toBeGreaterThan(0);
    expect(message.text).toContain(title);
  });

  it.each([
    [failedExchangeJob, "[CRITICAL] Backup job failed: Exchange Online (IB2026112906480012345)"],
    [failedUnknownServiceJob, "[CRITICAL] Backup job failed (XX2026112907000099999)"],
    [unknownStateJob, '[WARNING] Backup job in an unrecognized state "Suspended_ByPolicy": Teams (TM2026112907300077777)'],
    [exchangeRecovery, "[RESOLVED] Exchange Online backups succeed again"],
    [seatsWarning, "[WARNING] Backup seats running low (95% assigned)"],
    [seatsCritical, "[CRITICAL] Backup seats almost used up (99% assigned)"],
    [storageResolved, "[RESOLVED] Backup storage back to normal (75% used)"],
    [outOfPolicyCritical, "[CRITICAL] Subscription out of policy"],
    [seatsReminder, "[CRITICAL] Reminder: Backup seats still almost used up (99% assigned)"],
  ] as [Alert, string][])("subject line %#", (alert, subject) => {
    expect(renderAlertEmail(alert, RENDER_CONTEXT).subject).toBe(subject);
  });

  it("job email: id in monospace, facts in a table, ranked errors with counts, the rest counted", () => {
    const { html, text } = renderAlertEmail(failedExchangeJob, RENDER_CONTEXT);
    const doc = parse(html);
    const id = [...doc.querySelectorAll("p")].find((p) => p.textContent === "IB2026112906480012345");
    expect(id?.getAttribute("style")).toMatch(/monospace/);
    const facts = [...doc.querySelectorAll("tr")]
      .filter((tr) => tr.children.length === 2 && tr.children[0]?.getAttribute("width") === "120")
      .map((tr) => [tr.children[0]?.textContent, tr.children[1]?.textContent]);
    expect(facts).toEqual([
      ["Service", "Exchange Online"],
      ["State", "Failed"],
      ["Started", "2026-11-29 06:48 UTC"],
      ["Finished", "2026-11-29 08:00 UTC"],
      ["Duration", "1 h 12 min"],
      ["Objects", "1,234 total, 12 failed, 1,200 successful, 22 skipped"],
      ["Tenant", "Contoso"],
    ]);
    expect(text).toContain("Service:  Exchange Online\nState:    Failed\n");
    expect(text).toContain("- 41 \u00D7 Request was throttled by Exchange Online; the item will be retried in the next job.\n- 9 \u00D7 The connection");
    // Seven error types, all listed (an email has room for ten).
    expect(text.match(/^- \d+ \u00D7 /gm)).toHaveLength(7);
    expect(visibleText(html)).toContain("Contoso \u00B7 CRITICAL \u00B7 detected 2026-11-29 08:15 UTC");
  });

  it("more than ten error types: ten listed, the rest counted", () => {
    const errors = Array.from({ length: 14 }, (_u, i) => ({ message: `Error number ${i}`, count: 100 - i }));
    const { text, html } = renderAlertEmail(makeJobAlert(makeJob({ errors }), { service: 1 }), RENDER_CONTEXT);
    expect(text.match(/^- \d+ \u00D7 /gm)).toHaveLength(10);
    expect(text).toContain("and 4 more (354 occurrences); see AvePoint Online Services for the full list");
    expect(visibleText(html)).toContain("and 4 more (354 occurrences)");
  });

  it("the severity band and label take the alert's colour", () => {
    const band = (alert: Alert) => parse(renderAlertEmail(alert, RENDER_CONTEXT).html).querySelector("td[height='8']")?.getAttribute("bgcolor");
    expect(band(failedExchangeJob)).toBe("#C50F1F");
    expect(band(unknownStateJob)).toBe("#F2A900");
    expect(band(exchangeRecovery)).toBe("#107C10");
    expect(band(storageResolved)).toBe("#107C10");
  });

  it("is laid out for Outlook: a 640 px table column, inline styles only, no external resources", () => {
    const { html } = renderAlertEmail(failedExchangeJob, RENDER_CONTEXT);
    expect(html).toContain('<table role="presentation" width="640"');
    expect(html).toContain("max-width:640px");
    expect(html).not.toMatch(/<style|class=|<link|https?:\/\/(?!www\.avepointonlineservices\.com)/);
  });

  it("a job without id, times or counts still says so in both bodies", () => {
    const alert = makeJobAlert(makeJob({ id: null, startTime: null, finishTime: null, durationMs: null, counts: null }));
    const { html, text, subject } = renderAlertEmail(alert, RENDER_CONTEXT);
    expect(subject).toBe("[CRITICAL] Backup job failed");
    expect(text).toContain("Job ID: not reported by the API");
    expect(visibleText(html)).toContain("not reported by the API");
    expect(text).not.toContain("Objects");
  });
});

describe("hostile API text", () => {
  it("never becomes a link, raw URL, e-mail address or unescaped HTML", () => {
    const message = renderAlertEmail(hostileTextJob, RENDER_CONTEXT);
    expectSafeHtml(message.html);
    for (const text of [message.subject, message.text, visibleText(message.html)]) expect(linkProblems(text)).toEqual([]);
    // Nothing was removed: each hostile error is there, defanged and escaped.
    expect(message.text).toContain("- 10 \u00D7 [Reset your password] (https[:]//evil[.]example/login) now");
    expect(message.text).toContain("  Reference: https[:]//evil[.]example/docs?code=42");
    expect(message.text).toContain('- 8 \u00D7 <a href="https[:]//evil[.]example">click</a> <img src=x onerror=alert(1)>');
    expect(message.html).toContain("8 \u00D7 &lt;a href=&quot;https[:]//evil[.]example&quot;&gt;click&lt;/a&gt; &lt;img src=x onerror=alert(1)&gt;");
    expect(message.text).toContain("- 6 \u00D7 Contact admin@contoso-support[.]com or go to contoso-support[.]com/reset");
    expect(message.text).toContain("- 3 \u00D7 Zerowidth https[:]//evil[.]example and hxxp[:]//ok");
    expect(message.text.match(/^- \d+ \u00D7 /gm)).toHaveLength(HOSTILE_TEXTS.length);
  });

  it("hostile ids, raw states and tenant labels are escaped in every kind, single and digest", () => {
    const id = "<b>ID</b>[x](http://evil.example)\r\nBcc: victim@evil.com";
    const alerts: Alert[] = [
      makeJobAlert(makeJob({ id, state: "Unknown", rawState: "<script>alert(1)</script> www.evil.example" }), { tenant: "<i>t</i> https://evil.example" }),
      { ...exchangeRecovery, tenant: "www.evil.example", resolvedJobIds: [id, id], job: { ...exchangeRecovery.job, id } },
      { ...seatsWarning, tenant: "<i>x</i> http://10.0.0.1" },
    ];
    const messages = [
      ...alerts.map((a) => renderAlertEmail(a, RENDER_CONTEXT)),
      renderDigestEmail(alerts, { ...RENDER_CONTEXT, tenantName: "evil.com <b>" }),
    ];
    for (const message of messages) {
      expectSafeHtml(message.html);
      expect(message.subject).not.toMatch(/[\r\n]/);
      for (const text of [message.subject, message.text, visibleText(message.html)]) expect({ text, problems: linkProblems(text) }).toEqual({ text, problems: [] });
    }
    expect(messages[0]?.subject).toBe('[WARNING] Backup job in an unrecognized state "<script>alert(1)</script> www[.]evil[.]exam\u2026" (<b>ID</b>[x] (http[:]//evil[.]example) Bcc: victim@evil[.]com)');
  });

  it("escapeHtml escapes the five characters that matter and nothing else", () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a> ok 123 \u00B7`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; ok 123 \u00B7");
  });
});

describe("digest email", () => {
  it("one email for a grouped cycle, matching its golden files", () => {
    const built = buildEmailMessages(SIX_ALERTS, RENDER_CONTEXT, { groupThreshold: 3 });
    expect(built).toHaveLength(1);
    const [only] = built;
    expect(new Set(only?.fingerprints)).toEqual(new Set(SIX_ALERTS.map((a) => a.fingerprint)));
    expect(only?.fingerprints).toHaveLength(6);
    const message = only!.message;
    expectGolden("digest-6", message);
    expectSafeHtml(message.html);
    expect(message.subject).toBe("[CRITICAL] 6 backup alerts \u2014 Contoso");
    // Firing before resolved, critical first.
    const labels = [...message.text.matchAll(/^(CRITICAL|WARNING|INFO|RESOLVED) \u00B7 /gm)].map((m) => m[1]);
    expect(labels).toEqual(["CRITICAL", "CRITICAL", "WARNING", "WARNING", "RESOLVED", "RESOLVED"]);
  });

  it("a digest of only resolved alerts is [RESOLVED] and green", () => {
    const message = renderDigestEmail([exchangeRecovery, storageResolved], RENDER_CONTEXT);
    expect(message.subject).toBe("[RESOLVED] 2 backup alerts \u2014 Contoso");
    expect(parse(message.html).querySelector("td[height='8']")?.getAttribute("bgcolor")).toBe("#107C10");
  });

  it("at or under the threshold: one email per alert; above: one digest that lists every alert", () => {
    expect(buildEmailMessages([], RENDER_CONTEXT, { groupThreshold: 3 })).toEqual([]);
    const three = buildEmailMessages(SIX_ALERTS.slice(0, 3), RENDER_CONTEXT, { groupThreshold: 3 });
    expect(three.map((m) => m.fingerprints)).toEqual(SIX_ALERTS.slice(0, 3).map((a) => [a.fingerprint]));
    const many = manyJobAlerts(250);
    const [digest, ...rest] = buildEmailMessages(many, RENDER_CONTEXT, { groupThreshold: 3 });
    expect(rest).toEqual([]);
    expect(digest?.fingerprints).toHaveLength(250);
    for (const alert of many) expect(digest?.message.text).toContain(alert.job.id ?? "missing");
    expect(digest?.message.subject).toBe("[CRITICAL] 250 backup alerts \u2014 Contoso");
  });

  it("refuses an empty digest", () => {
    expect(() => renderDigestEmail([], RENDER_CONTEXT)).toThrow(RangeError);
  });
});
