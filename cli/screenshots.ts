/**
 * PNG screenshots through headless Chromium, driven by `playwright-core`
 * with the system's browser (Debian's `chromium`): Playwright's own browser
 * download is never used. Optional everywhere: nothing in `npm test` needs it,
 * and callers check `findChromium()` first.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";

/** Where Debian's `chromium` package (scripts/install-chromium.sh) puts the browser. */
export const DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * A quiet, offline browser: no GPU, no QUIC, none of the background traffic
 * (component updates, sync, first-run pages) a fresh profile would start.
 */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Chromium could not be started or driven (missing playwright-core, a browser that does not start). */
export class ScreenshotError extends Error {
  override readonly name = "ScreenshotError";
}

/** `CHROMIUM_PATH` when set, else /usr/bin/chromium; undefined when that file does not exist. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env["CHROMIUM_PATH"] || DEFAULT_CHROMIUM_PATH;
  return existsSync(path) ? path : undefined;
}

export interface ScreenshotSessionOptions {
  /** The browser binary, e.g. from `findChromium()`. */
  executablePath: string;
  /** Device pixels per CSS pixel. Default 1. */
  scale?: number;
  /** Viewport size in CSS pixels. Default 1000 × 800. */
  viewport?: { width: number; height: number };
}

export interface ElementShot {
  /** CSS selector of the one element to capture. */
  selector: string;
  /** Where the PNG goes (its folder is created). */
  file: string;
  /** CSS pixels; a taller element is cut at this height. Default: no limit. */
  maxHeight?: number;
}

/** One browser for a batch of screenshots; always `close()` it. */
export class ScreenshotSession {
  private constructor(
    private readonly browser: Browser,
    private readonly context: BrowserContext,
  ) {}

  static async start(options: ScreenshotSessionOptions): Promise<ScreenshotSession> {
    let playwright: typeof import("playwright-core");
    try {
      playwright = await import("playwright-core");
    } catch {
      throw new ScreenshotError("playwright-core is not installed here: run `npm install` in the project folder (it is a devDependency)");
    }
    // launch() gives the browser a new, empty profile in a temporary folder and removes it on close.
    let browser: Browser;
    try {
      browser = await playwright.chromium.launch({ executablePath: options.executablePath, args: CHROMIUM_ARGS });
    } catch (error) {
      throw new ScreenshotError(`Chromium at ${options.executablePath} did not start: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 1000, height: 800 },
      deviceScaleFactor: options.scale ?? 1,
      locale: "en-US",
      timezoneId: "UTC",
      colorScheme: "light",
    });
    // Only local pages: a card's image URL or anything else remote is refused, so screenshots need no network.
    await context.route(/^(?!file:|data:|http:\/\/127\.0\.0\.1[:/]|http:\/\/localhost[:/])/, (route) => route.abort());
    return new ScreenshotSession(browser, context);
  }

  /** Opens `url`, waits until `readyFunction` (a page expression) is true, and captures each element. */
  async captureElements(url: string, shots: readonly ElementShot[], readyFunction: string): Promise<void> {
    const page = await this.open(url, readyFunction);
    try {
      for (const shot of shots) {
        const element = await page.$(shot.selector);
        if (!element) throw new ScreenshotError(`nothing on ${url} matches ${shot.selector}`);
        await mkdir(dirname(shot.file), { recursive: true });
        if (shot.maxHeight !== undefined) {
          await element.evaluate((el, max) => Object.assign((el as unknown as { style: object }).style, { maxHeight: `${max}px`, overflow: "hidden", boxSizing: "border-box" }), shot.maxHeight);
        }
        await element.screenshot({ path: shot.file, animations: "disabled" });
      }
    } finally {
      await page.close();
    }
  }

  /** Opens `url`, waits until `readyFunction` is true, and captures the viewport. */
  async capturePage(url: string, file: string, readyFunction: string): Promise<void> {
    const page = await this.open(url, readyFunction);
    try {
      await mkdir(dirname(file), { recursive: true });
      await page.screenshot({ path: file, animations: "disabled" });
    } finally {
      await page.close();
    }
  }

  async close(): Promise<void> {
    await this.context.close();
    await this.browser.close();
  }

  private async open(url: string, readyFunction: string): Promise<Page> {
    const page = await this.context.newPage();
    try {
      await page.goto(url, { waitUntil: "load" });
      await page.waitForFunction(readyFunction, undefined, { timeout: 15_000 });
      // Web fonts and layout settle before the pixels are taken.
      await page.evaluate("document.fonts.ready.then(() => true)");
      return page;
    } catch (error) {
      await page.close();
      throw error;
    }
  }
}
