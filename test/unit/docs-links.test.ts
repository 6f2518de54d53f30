/**
 * The README is a first screen that links onward into docs/, so a moved or
 * renamed section must not leave a dead link behind: every relative link in
 * README.md and docs/*.md names a file that exists and, with a #anchor, a
 * heading of that file (GitHub's slugs).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Lines outside fenced code blocks (a `#` in a shell block is no heading, a `[x](y)` in code no link). */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split(/\r?\n/).filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's anchor for a heading text: lower case, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Every anchor a file's headings give, duplicates numbered as GitHub numbers them (`x`, `x-1`, ...). */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = githubSlug(m[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Link targets in prose: `[text](target)` and `![alt](target)`, inline code left out. */
function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) targets.push(m[1]!);
  }
  return targets;
}

/** What is wrong with each relative link of one file (`file` is the path of the markdown read). */
function brokenLinks(file: string, markdown: string, read: (path: string) => string | null): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
    const [path, anchor] = target.split("#", 2) as [string, string | undefined];
    const resolved = path === "" ? file : join(dirname(file), decodeURI(path));
    const text = read(resolved);
    if (text === null) {
      problems.push(`${target}: ${resolved} does not exist`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith(".md") && !headingAnchors(text).has(anchor)) {
      problems.push(`${target}: no heading in ${resolved} has the anchor #${anchor}`);
    }
  }
  return problems;
}

function readIfExists(path: string): string | null {
  if (!existsSync(path)) return null;
  return statSync(path).isDirectory() ? "" : readFileSync(path, "utf8");
}

const DOCS = [join(ROOT, "README.md"), ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => join(ROOT, "docs", f))];

describe("links in README.md and docs/", () => {
  it("makes anchors as GitHub does", () => {
    expect(githubSlug("How an alert travels, and the delivery guarantee")).toBe("how-an-alert-travels-and-the-delivery-guarantee");
    expect(githubSlug("With azd (`azd up`)")).toBe("with-azd-azd-up");
    expect(githubSlug("Who may do what (least privilege)")).toBe("who-may-do-what-least-privilege");
    expect([...headingAnchors("# Notes\n\n## Notes\n\n```sh\n# not a heading\n```\n")]).toEqual(["notes", "notes-1"]);
  });

  it("reports a missing file and a missing heading, and skips code and web links", () => {
    const files: Record<string, string> = { "/d/A.md": "# A\n\n## Second part\n" };
    const read = (p: string) => files[p] ?? null;
    const doc = "[ok](A.md#second-part) [gone](B.md) [typo](A.md#second) [web](https://example.com/x.md) `[code](C.md)`\n```\n[fenced](D.md)\n```\n[self](#a)";
    expect(brokenLinks("/d/A.md", doc, read)).toEqual(["B.md: /d/B.md does not exist", "A.md#second: no heading in /d/A.md has the anchor #second"]);
  });

  it("has the docs this README links to", () => {
    expect(DOCS.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(["README.md", "docs/DEPLOY.md", "docs/SETTINGS.md", "docs/OPERATING.md", "docs/RECEIVERS.md", "docs/AVEPOINT.md", "docs/ARCHITECTURE.md"]));
  });

  it.each(DOCS.map((f) => [relative(ROOT, f), f]))("every relative link of %s resolves", (_name, file) => {
    expect(brokenLinks(file, readFileSync(file, "utf8"), readIfExists)).toEqual([]);
  });
});
