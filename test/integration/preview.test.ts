import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JSDOM } from "jsdom";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { adaptiveCardsBundlePath } from "../../cli/card-view.js";
import { galleryEntries, GalleryEntryError, GALLERY_SCRIPTS, main, screenshotGallery, writeGallery, type Gallery, type GalleryEntry } from "../../cli/preview.js";
import { findChromium } from "../../cli/screenshots.js";
import { ALERT_FIXTURES, HOSTILE_TEXTS } from "../support/alert-fixtures.js";

const entries = galleryEntries();
let dir: string;
let gallery: Gallery;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cba-preview-"));
  gallery = await writeGallery(join(dir, "gallery"), entries);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads a gallery page the way a browser opening the file would, scripts included, and waits for it to finish. */
async function openGallery(indexFile: string): Promise<JSDOM> {
  const dom = await JSDOM.fromFile(indexFile, { runScripts: "dangerously", resources: "usable", pretendToBeVisual: true });
  await vi.waitFor(() => expect(dom.window.document.body.dataset["rendered"]).toBe("true"), { timeout: 10_000, interval: 20 });
  return dom;
}

function payloadSummary(payload: unknown): string {
  return (payload as { summary: string }).summary;
}

describe("preview gallery", () => {
  it("has an entry for every alert fixture, a digest and a digest split across posts", () => {
    const names = entries.map((e) => e.name);
    for (const fixture of Object.keys(ALERT_FIXTURES)) expect(names).toContain(fixture);
    expect(names).toContain("digest-5");
    expect(names.filter((n) => n.startsWith("digest-60-part-")).length).toBeGreaterThanOrEqual(2);
  });

  it("writes every payload as JSON and an index page that loads the official renderer next to it", async () => {
    expect(gallery.entries.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    for (const entry of entries) {
      const file = join(gallery.dir, "cards", `${entry.name}.json`);
      expect(JSON.parse(await readFile(file, "utf8"))).toEqual(JSON.parse(JSON.stringify(entry.payload)));
    }
    const html = await readFile(gallery.indexFile, "utf8");
    for (const entry of entries) {
      expect(html).toContain(`<section class="entry" id="${entry.name}">`);
      expect(html).toContain(`href="cards/${entry.name}.json"`);
    }
    for (const script of GALLERY_SCRIPTS) expect(html).toContain(`<script src="${script}"></script>`);
    expect(await readFile(join(gallery.dir, "adaptivecards.min.js"))).toEqual(await readFile(adaptiveCardsBundlePath()));
  });

  it("renders every card with the Adaptive Cards renderer, hostile API text as literal text", async () => {
    const dom = await openGallery(gallery.indexFile);
    try {
      const { document } = dom.window;
      expect(document.body.dataset["failed"]).toBe("0");
      for (const entry of entries) {
        const section = document.getElementById(entry.name);
        expect(section?.querySelector(".card .ac-adaptiveCard"), entry.name).not.toBeNull();
        expect(section?.querySelector(".card pre"), entry.name).toBeNull();
        expect(section?.querySelector(".summary")?.textContent).toBe(payloadSummary(entry.payload));
      }
      const hostile = document.getElementById("job-hostile-text")?.querySelector(".card");
      expect(hostile?.querySelectorAll("a, img, script")).toHaveLength(0);
      // Shown as the API sent it, with links defanged ("evil[.]example"), never as markup.
      expect(hostile?.textContent).toContain("[Reset your password]");
      expect(hostile?.textContent).toContain('<a href="https');
      expect(HOSTILE_TEXTS[0]).toContain("[Reset your password]");
    } finally {
      dom.window.close();
    }
  });

  it("keeps payload text and titles inert in the page", async () => {
    const breakout = "</script><script>document.body.dataset.pwned = 'yes'</script><!--";
    const hostileEntry: GalleryEntry = {
      name: "script-breakout",
      title: "<img src=x onerror=\"document.body.dataset.pwned='title'\"> title",
      payload: {
        type: "message",
        summary: breakout,
        attachments: [
          {
            contentType: "application/vnd.microsoft.card.adaptive",
            contentUrl: null,
            content: { type: "AdaptiveCard", version: "1.4", body: [{ type: "TextBlock", text: breakout, wrap: true }] },
          },
        ],
      },
    };
    const own = await writeGallery(join(dir, "breakout"), [hostileEntry]);
    const dom = await openGallery(own.indexFile);
    try {
      const { document } = dom.window;
      expect(document.body.dataset["pwned"]).toBeUndefined();
      expect(document.querySelector("#script-breakout h2")?.textContent).toBe(hostileEntry.title);
      expect(document.querySelector("#script-breakout .summary")?.textContent).toBe(breakout);
      expect(document.querySelector("#script-breakout .ac-adaptiveCard")?.textContent).toContain("</script><script>");
    } finally {
      dom.window.close();
    }
  });

  it("refuses entry names that are not safe file names, and names used twice", async () => {
    const payload = { type: "message" };
    await expect(writeGallery(join(dir, "bad"), [{ name: "../escape", title: "t", payload }])).rejects.toThrow(GalleryEntryError);
    await expect(
      writeGallery(join(dir, "bad"), [
        { name: "twice", title: "a", payload },
        { name: "twice", title: "b", payload },
      ]),
    ).rejects.toThrow(/appears twice/);
  });
});

describe("npm run preview", () => {
  it("writes the gallery and, without Chromium, says how to get screenshots", async () => {
    const out = join(dir, "cli");
    const lines: string[] = [];
    const code = await main(["--out", out], { chromiumPath: null, write: (line) => lines.push(line) });
    expect(code).toBe(0);
    expect(lines[0]).toContain(`${entries.length} cards`);
    expect(lines[0]).toContain(join(out, "index.html"));
    expect(lines.filter((l) => l.startsWith("screenshots skipped"))).toHaveLength(1);
    expect(lines.join("\n")).toContain("scripts/install-chromium.sh");
    expect(existsSync(join(out, "cards", "job-failed-exchange.json"))).toBe(true);
    expect(existsSync(join(out, "screenshots"))).toBe(false);
  });

  it("names the files it wrote relative to the working folder", async () => {
    const lines: string[] = [];
    expect(await main(["--out", join(dir, "relative")], { chromiumPath: null, cwd: dir, write: (line) => lines.push(line) })).toBe(0);
    expect(lines[0]).toBe(`preview: ${entries.length} cards in relative/index.html (payloads in relative/cards)`);
    expect(lines.join("\n")).not.toContain(dir);
  });

  it("rejects unknown arguments and a missing folder with exit code 2", async () => {
    const lines: string[] = [];
    const write = (line: string) => lines.push(line);
    expect(await main(["--colour"], { chromiumPath: null, write })).toBe(2);
    expect(await main(["--out"], { chromiumPath: null, write })).toBe(2);
    expect(lines.join("\n")).toContain("usage: npm run preview");
  });
});

const chromium = findChromium();

describe.skipIf(chromium === undefined)("screenshots with Chromium", () => {
  it("captures one card as a PNG of the card's size", async () => {
    const [file] = await screenshotGallery(gallery, { executablePath: chromium ?? "", names: ["job-failed-exchange"] });
    expect(file).toBe(join(gallery.dir, "screenshots", "job-failed-exchange.png"));
    const png = await readFile(file ?? "");
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR: width and height, big-endian, at bytes 16 and 20. The card is 500 px wide plus a 12 px margin each side.
    expect(png.readUInt32BE(16)).toBe(524);
    expect(png.readUInt32BE(20)).toBeGreaterThan(200);
  });

  it("keeps a very tall card's PNG small: cut at 1,000 px", async () => {
    const [file] = await screenshotGallery(gallery, { executablePath: chromium ?? "", names: ["digest-60-part-1"] });
    const png = await readFile(file ?? "");
    // Sub-pixel layout can round the last row up.
    expect(png.readUInt32BE(20)).toBeLessThanOrEqual(1_002);
    expect(png.length).toBeLessThan(200_000);
  });

  it("refuses a name that is not in the gallery", async () => {
    await expect(screenshotGallery(gallery, { executablePath: chromium ?? "", names: ["no-such-card"] })).rejects.toThrow(GalleryEntryError);
  });
});
