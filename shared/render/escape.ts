/**
 * Text that came from the AvePoint API (job ids, error messages, raw states,
 * URLs inside errors) is untrusted. Teams renders a markdown subset in
 * TextBlocks and FactSets and auto-links anything that looks like a URL, so a
 * hostile or merely unlucky error message could otherwise show a clickable
 * phishing link inside an alert the on-call admin trusts.
 *
 * Rules, applied in this order by `escapeApiText`:
 * 1. normalize: line breaks and tabs become one space (no lists or headings can
 *    start mid-text), control and invisible characters (zero-width, bidi
 *    overrides, soft hyphen) are removed, look-alike full stops become ".",
 *    runs of spaces collapse;
 * 2. truncate to a budget with "…" (before escaping, so no escape is cut);
 * 3. defang link patterns: `scheme://` becomes `scheme[:]//`, and the dots of
 *    host names (after a scheme, `www.`, a common or two-letter TLD, IPv4)
 *    become `[.]`; the well-known "defanged URL" notation stays readable and
 *    copyable but no autolinker recognizes it;
 * 4. backslash-escape the markdown characters (CommonMark: any ASCII
 *    punctuation may be escaped), and list markers at the start.
 * Letters, digits and spaces are never changed, so ordinary job ids such as
 * `IB2026112908150012345` stay verbatim.
 */

const INVISIBLE = /[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;
const LINE_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
/** Ideographic, fullwidth and halfwidth full stops: browsers treat them as dots in host names. */
const DOT_LOOKALIKES = /[\u3002\uFF0E\uFF61]/g;

/** Collapses API text to one clean line. */
export function normalizeApiText(raw: string): string {
  return raw
    .replace(INVISIBLE, "")
    .replace(DOT_LOOKALIKES, ".")
    .replace(LINE_BREAKS, " ")
    .replace(CONTROL, "")
    .replace(/ {2,}/g, " ")
    .trim();
}

const ELLIPSIS = "…";

/** Cuts to at most `maxChars` code points, ending with "…" when cut. */
export function truncateText(text: string, maxChars: number): string {
  const chars = Array.from(text);
  if (chars.length <= maxChars) return text;
  if (maxChars <= 1) return ELLIPSIS;
  return chars.slice(0, maxChars - 1).join("").trimEnd() + ELLIPSIS;
}

/**
 * Top-level domains that autolinkers recognize in bare host names. Two-letter
 * labels (country codes) are matched separately. Deliberately generous: a
 * defanged file name is a small cost, a live link is not.
 */
const LINKABLE_TLDS = new Set([
  "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "app", "dev", "cloud",
  "online", "site", "xyz", "top", "zip", "mov", "link", "click", "page", "live", "tech", "store", "shop",
  "blog", "news", "email", "support", "help", "services", "website", "space", "fun", "icu", "club", "vip",
  "work", "world", "today", "digital", "network", "systems", "solutions", "microsoft", "office", "azure",
  "windows", "google", "amazon", "aws", "local", "localhost", "onion", "arpa", "mobi", "asia", "tel",
]);

const SCHEME = /\b([a-z][a-z0-9+.-]{0,30}):\/\//gi;
const DEFANGED_SCHEME = "[:]//";
const HOST_LIKE = /(?<![a-z0-9-])(?:[a-z0-9_-]+\.)+[a-z0-9-]+(?![a-z0-9-])/gi;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function isLinkableHost(host: string, afterScheme: boolean): boolean {
  if (afterScheme) return true;
  const lower = host.toLowerCase();
  if (lower.startsWith("www.")) return true;
  if (IPV4.test(lower)) return true;
  const tld = lower.slice(lower.lastIndexOf(".") + 1);
  return LINKABLE_TLDS.has(tld) || /^[a-z]{2}$/.test(tld);
}

/** Breaks URL, www., e-mail and host-name patterns so no autolinker sees them. */
export function defangLinks(text: string): string {
  const withSchemes = text.replace(SCHEME, (_m, scheme: string) => `${scheme}${DEFANGED_SCHEME}`);
  return withSchemes.replace(HOST_LIKE, (host: string, offset: number) => {
    const afterScheme = withSchemes.slice(Math.max(0, offset - DEFANGED_SCHEME.length), offset) === DEFANGED_SCHEME;
    return isLinkableHost(host, afterScheme) ? host.replaceAll(".", "[.]") : host;
  });
}

/**
 * Characters that carry markdown (or Adaptive Card `{{DATE()}}` function)
 * meaning anywhere in a line. Parentheses need no escape once `[` and `]` are
 * escaped: without a bracket pair there is no link or image.
 */
const MARKDOWN_INLINE = /[\\`*_[\]<>&~#|{}]/g;
/** List, heading and quote markers only count at the start of a line. */
const MARKDOWN_LINE_START = /^(\d+)([.)])|^([-+=])/;

/** Backslash-escapes markdown syntax in one normalized line. */
export function escapeMarkdown(line: string): string {
  const inline = line.replace(MARKDOWN_INLINE, (ch) => `\\${ch}`);
  return inline.replace(MARKDOWN_LINE_START, (_m, digits: string | undefined, mark: string | undefined, bullet: string | undefined) =>
    digits !== undefined ? `${digits}\\${mark ?? ""}` : `\\${bullet ?? ""}`,
  );
}

/** Encodes one untrusted API text for its destination: card markdown (`escapeApiText`) or plain text (`plainApiText`). */
export type Encode = (raw: string, maxChars: number) => string;

/** API text → safe text for a TextBlock or Fact (markdown is rendered there). */
export function escapeApiText(raw: string, maxChars = Number.POSITIVE_INFINITY): string {
  return escapeMarkdown(defangLinks(truncateText(normalizeApiText(raw), maxChars)));
}

/**
 * API text → safe plain text for notification previews (`summary`,
 * `fallbackText`), where backslashes would show literally. Links are defanged
 * and `](` is split so the line cannot form a markdown link either.
 */
export function plainApiText(raw: string, maxChars = Number.POSITIVE_INFINITY): string {
  return defangLinks(truncateText(normalizeApiText(raw), maxChars)).replaceAll("](", "] (");
}

/**
 * Our own error messages quote API text, but name the AvePoint endpoint they
 * called themselves, as a bare origin ("AvePoint token endpoint
 * https://identity.avepointonlineservices.com refused …"). Those origins stay
 * as written, so an admin can copy them; every other link, and any URL with a
 * path (the API could have written it), is defanged as usual.
 */
function defangLinksExcept(text: string, ownOrigins: readonly string[]): string {
  if (ownOrigins.length === 0) return defangLinks(text);
  const origins = ownOrigins.map((o) => o.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  // An origin ends the URL: next comes a space, a closing bracket, a comma or sentence end, never a path.
  const pieces = text.split(new RegExp(`(?<![\\w.-])(${origins})(?=$|[\\s),;]|\\.(?:\\s|$))`, "g"));
  return pieces.map((piece, i) => (i % 2 === 1 ? piece : defangLinks(piece))).join("");
}

/** An error message of ours → safe card text (see defangLinksExcept). */
export function escapeErrorText(raw: string, ownOrigins: readonly string[], maxChars = Number.POSITIVE_INFINITY): string {
  return escapeMarkdown(defangLinksExcept(truncateText(normalizeApiText(raw), maxChars), ownOrigins));
}

/** An error message of ours → safe plain text (see defangLinksExcept). */
export function plainErrorText(raw: string, ownOrigins: readonly string[], maxChars = Number.POSITIVE_INFINITY): string {
  return defangLinksExcept(truncateText(normalizeApiText(raw), maxChars), ownOrigins).replaceAll("](", "] (");
}
