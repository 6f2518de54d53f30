import { describe, expect, it } from "vitest";
import {
  defangLinks,
  escapeApiText,
  escapeMarkdown,
  formatDate,
  formatDuration,
  formatNumber,
  formatPercent,
  formatUtc,
  normalizeApiText,
  plainApiText,
  truncateText,
} from "../../shared/render/index.js";

describe("escapeApiText", () => {
  it.each([
    ["job ids of letters and digits stay verbatim", "IB2026112906480012345", "IB2026112906480012345"],
    ["plain sentences stay verbatim", "The mailbox could not be accessed (account disabled).", "The mailbox could not be accessed (account disabled)."],
    ["file names and versions stay", "Budget.xlsx failed in v1.2.3", "Budget.xlsx failed in v1.2.3"],
    ["markdown link", "[click](https://evil.example/x)", "\\[click\\](https\\[:\\]//evil\\[.\\]example/x)"],
    ["markdown image", "![p](http://a.b/c.png)", "!\\[p\\](http\\[:\\]//a\\[.\\]b/c.png)"],
    ["reference-style link", "[x][1] [1]: https://evil.com", "\\[x\\]\\[1\\] \\[1\\]: https\\[:\\]//evil\\[.\\]com"],
    ["bare www host", "go to www.evil.com now", "go to www\\[.\\]evil\\[.\\]com now"],
    ["bare host with a common TLD", "see contoso-support.com/reset", "see contoso-support\\[.\\]com/reset"],
    ["e-mail address", "mail admin@contoso.com", "mail admin@contoso\\[.\\]com"],
    ["IPv4 address", "http://10.0.0.1:8080/x", "http\\[:\\]//10\\[.\\]0\\[.\\]0\\[.\\]1:8080/x"],
    ["upper-case scheme", "HTTPS://EVIL.COM", "HTTPS\\[:\\]//EVIL\\[.\\]COM"],
    ["other schemes", "ftp://files.example.org and file://server/share", "ftp\\[:\\]//files\\[.\\]example\\[.\\]org and file\\[:\\]//server/share"],
    ["ideographic full stop as a dot", "evil\u3002com", "evil\\[.\\]com"],
    ["zero-width space inside a scheme", "ht\u200Btps://evil.example", "https\\[:\\]//evil\\[.\\]example"],
    ["bidi override removed", "abc\u202Edef", "abcdef"],
    ["bold and italic", "**a** __b__ *c* _d_", "\\*\\*a\\*\\* \\_\\_b\\_\\_ \\*c\\* \\_d\\_"],
    ["code and strike", "`x` ~~y~~", "\\`x\\` \\~\\~y\\~\\~"],
    ["HTML", "<b>x</b> <a href='u'>y</a>", "\\<b\\>x\\</b\\> \\<a href='u'\\>y\\</a\\>"],
    ["HTML entity cannot decode into a scheme", "&#104;ttps://x", "\\&\\#104;ttps\\[:\\]//x"],
    ["Adaptive Card date function", "{{DATE(2017-02-14T06:08:39Z, SHORT)}}", "\\{\\{DATE(2017-02-14T06:08:39Z, SHORT)\\}\\}"],
    ["leading bullet", "- item", "\\- item"],
    ["leading plus", "+ item", "\\+ item"],
    ["leading number", "1. item", "1\\. item"],
    ["leading number with parenthesis", "2) item", "2\\) item"],
    ["heading", "# Title", "\\# Title"],
    ["quote", "> quoted", "\\> quoted"],
    ["line breaks cannot start a list", "ok\n- item\r\n# head", "ok - item \\# head"],
    ["backslash itself", "C:\\temp\\x", "C:\\\\temp\\\\x"],
    ["pipes (tables)", "a | b", "a \\| b"],
  ])("%s", (_name, input, expected) => {
    expect(escapeApiText(input)).toBe(expected);
  });

  it("truncates before escaping so no escape is cut in half", () => {
    expect(escapeApiText("abcdef*ghij", 7)).toBe("abcdef\u2026");
    expect(escapeApiText("ab*cdefghij", 4)).toBe("ab\\*\u2026");
  });
});

describe("plainApiText (summaries and fallback text)", () => {
  it.each([
    ["IB2026112906480012345", "IB2026112906480012345"],
    ["[x](https://evil.com)", "[x] (https[:]//evil[.]com)"],
    ["**bold** www.evil.com", "**bold** www[.]evil[.]com"],
    ["two\nlines", "two lines"],
  ])("%j → %j", (input, expected) => {
    expect(plainApiText(input)).toBe(expected);
  });
});

describe("building blocks", () => {
  it("normalizeApiText collapses whitespace and removes control characters", () => {
    expect(normalizeApiText("  a\t\tb\u0000c\u0007  \n d  ")).toBe("a bc d");
  });

  it("truncateText counts code points and marks the cut", () => {
    expect(truncateText("short", 10)).toBe("short");
    expect(truncateText("exactly10!", 10)).toBe("exactly10!");
    expect(truncateText("a longer text", 7)).toBe("a long\u2026");
    expect(truncateText("😀😀😀😀", 3)).toBe("😀😀\u2026");
    expect(truncateText("abc", 1)).toBe("\u2026");
  });

  it("defangLinks leaves non-links alone", () => {
    expect(defangLinks("System.IO.IOException in v2.0.1 after 1.5 GB")).toBe("System.IO.IOException in v2.0.1 after 1.5 GB");
  });

  it("escapeMarkdown escapes only markdown characters", () => {
    expect(escapeMarkdown("Plain words, numbers 123 and (parentheses).")).toBe("Plain words, numbers 123 and (parentheses).");
  });
});

describe("format", () => {
  it.each([
    [null, "not reported"],
    [-5, "not reported"],
    [Number.NaN, "not reported"],
    [0, "0 s"],
    [38_000, "38 s"],
    [60_000, "1 min"],
    [45 * 60_000 + 30_000, "45 min"],
    [60 * 60_000, "1 h"],
    [72 * 60_000, "1 h 12 min"],
    [26 * 3_600_000 + 5 * 60_000, "1 d 2 h"],
    [48 * 3_600_000, "2 d"],
  ])("formatDuration(%s) = %s", (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it("formats times in UTC whatever the host zone", () => {
    expect(formatUtc(new Date("2026-11-29T08:15:59.999Z"))).toBe("2026-11-29 08:15 UTC");
    expect(formatUtc(new Date("2026-01-02T23:05:00+02:00"))).toBe("2026-01-02 21:05 UTC");
    expect(formatUtc(null)).toBe("not reported");
    expect(formatUtc(new Date("invalid"))).toBe("not reported");
    expect(formatDate(new Date("2026-12-14T00:00:00Z"))).toBe("2026-12-14");
  });

  it.each([
    [1900, "1,900"],
    [1234567, "1,234,567"],
    [0.33, "0.3"],
    [12.5, "12.5"],
  ])("formatNumber(%s) = %s", (n, expected) => {
    expect(formatNumber(n)).toBe(expected);
  });

  it.each([
    [95, "95%"],
    [94.6, "95%"],
    [99.6, "99%"],
    [100, "100%"],
    [112.4, "112%"],
  ])("formatPercent(%s) = %s: 100% only when used up", (p, expected) => {
    expect(formatPercent(p)).toBe(expected);
  });
});
