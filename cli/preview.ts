/**
 * `npm run preview [-- --out DIR] [--no-screenshots] [--readme-images DIR]`
 *
 * Writes a gallery of every card the project sends: the named alerts of
 * test/support/alert-fixtures.ts through the real renderers (shared/render),
 * shown with the official Adaptive Cards renderer, each payload as JSON beside
 * it, and, when Chromium is installed, a PNG of each card. With
 * `--readme-images` it also refreshes the README's pictures, including a
 * screenshot of the `npm start` demo inbox.
 */
import { spawn } from "node:child_process";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Alert } from "../shared/alerts/model.js";
import { buildAlertMessage, buildWorkflowsMessages, jsonBytes, WORKFLOWS_MAX_BYTES } from "../shared/render/index.js";
import {
  exchangeRecovery,
  failedExchangeJob,
  failedUnknownServiceJob,
  finishedExceptionSharePointJob,
  hostileTextJob,
  manyJobAlerts,
  outOfPolicyCritical,
  partiallyFinishedOneDriveJob,
  ALERT_FIXTURES,
  RENDER_CONTEXT,
  seatsCritical,
  seatsReminder,
  seatsWarning,
  storageResolved,
  storageWarning,
  unknownStateJob,
} from "../test/support/alert-fixtures.js";
import { certificateExpiring30, degradedCredential, degradedResolved, testMessage } from "../test/support/monitoring-fixtures.js";
import { adaptiveCardsBundlePath, CARD_VIEW_SCRIPT, CARD_VIEW_STYLE, escapeHtml } from "./card-view.js";
import { runAsScript } from "./operator-io.js";
import { findChromium, ScreenshotSession } from "./screenshots.js";

/** One message in the gallery: `name` names its files (lowercase letters, digits, dashes). */
export interface GalleryEntry {
  name: string;
  title: string;
  /** What is posted: a Teams Workflows payload (anything else is shown as JSON). */
  payload: unknown;
}

/** A single alert's post, exactly as the Workflows channel sends it. */
function card(name: string, title: string, alert: Alert): GalleryEntry {
  return { name, title, payload: buildAlertMessage(alert, RENDER_CONTEXT).payload };
}

/** A digest of `alerts`; one entry per post when the size budget splits it (`<name>-part-N`). */
function digest(name: string, title: string, alerts: Alert[]): GalleryEntry[] {
  const messages = buildWorkflowsMessages(alerts, RENDER_CONTEXT, { groupThreshold: 0 });
  if (messages.length === 1) return [{ name, title, payload: messages[0]?.payload }];
  return messages.map((m, i) => ({ name: `${name}-part-${i + 1}`, title: `${title}, post ${i + 1} of ${messages.length}`, payload: m.payload }));
}

/** Every card the project produces, in gallery order. Adding one is one line. */
export function galleryEntries(): GalleryEntry[] {
  return [
    card("job-failed-exchange", "Job failed: Exchange Online, with the API's job errors", failedExchangeJob),
    card("job-finished-exception-sharepoint", "Job finished with exceptions: SharePoint Online", finishedExceptionSharePointJob),
    card("job-partially-finished-onedrive", "Job partially finished: OneDrive for Business", partiallyFinishedOneDriveJob),
    card("job-failed-unknown-service", "Job failed, service not known, no counts", failedUnknownServiceJob),
    card("job-unknown-state", "A job state the API never sent before", unknownStateJob),
    card("job-failed-to-start-exchange", "Job failed to start: Exchange Online, a counter not reported", ALERT_FIXTURES["job-failed-to-start-exchange"]),
    card("job-canceled-teams", "Job canceled: Teams (a named state, a warning)", ALERT_FIXTURES["job-canceled-teams"]),
    card("job-hostile-text", "Hostile API text (markdown, links, HTML) shown literally", hostileTextJob),
    card("job-recovery-exchange", "Resolved: Exchange Online backs up again", exchangeRecovery),
    card("license-seats-warning", "License: seats at the warning level, with forecast", seatsWarning),
    card("license-seats-critical", "License: seats critical, with forecast", seatsCritical),
    card("license-seats-reminder", "License: seats still critical (reminder)", seatsReminder),
    card("license-storage-warning", "License: storage at the warning level, not rising", storageWarning),
    card("license-storage-resolved", "License: storage resolved", storageResolved),
    card("license-policy-critical", "License: subscription out of policy", outOfPolicyCritical),
    card("monitoring-degraded-credential", "Monitoring degraded: the credential was refused, with what to check", degradedCredential),
    card("monitoring-resolved", "Resolved: the monitor works again", degradedResolved),
    card("monitoring-credential-expiring", "The AvePoint certificate expires in 30 days", certificateExpiring30),
    card("monitoring-test", "npm run send-test-alert: the test message", testMessage),
    card("missed-backup-exchange", "Missed backup: no successful Exchange Online backup for 28 h", ALERT_FIXTURES["missed-backup-exchange"]),
    card("missed-backup-schedule-onedrive", "Missed backup: a scheduled OneDrive backup did not start", ALERT_FIXTURES["missed-backup-schedule-onedrive"]),
    card("missed-backup-resolved", "Resolved: Exchange Online backups succeed again", ALERT_FIXTURES["missed-backup-resolved"]),
    card("stuck-job-sharepoint", "Stuck job: In Progress for almost 13 hours", ALERT_FIXTURES["stuck-job-sharepoint"]),
    card("failure-ratio-onedrive", "A Finished job with half its objects failed or skipped", ALERT_FIXTURES["failure-ratio-onedrive"]),
    card("failure-ratio-skipped-growth-teams", "Skipped objects growing for three runs in a row", ALERT_FIXTURES["failure-ratio-skipped-growth-teams"]),
    card("unusual-activity-sharepoint", "Unusual activity: potential ransomware attack", ALERT_FIXTURES["unusual-activity-sharepoint"]),
    ...digest("digest-5", "Digest: five alerts in one cycle", [failedExchangeJob, unknownStateJob, exchangeRecovery, seatsWarning, outOfPolicyCritical]),
    ...digest("digest-60", "Digest split to fit the 20 KB budget: 60 alerts", manyJobAlerts(60)),
  ];
}

/** The gallery's entries are inconsistent (a file name that is not safe, a name used twice). */
export class GalleryEntryError extends Error {
  override readonly name = "GalleryEntryError";
}

const ENTRY_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function checkEntries(entries: readonly GalleryEntry[]): void {
  const seen = new Set<string>();
  for (const { name } of entries) {
    if (!ENTRY_NAME.test(name)) throw new GalleryEntryError(`gallery entry "${name}": use lowercase letters, digits and single dashes (it names files)`);
    if (seen.has(name)) throw new GalleryEntryError(`gallery entry "${name}" appears twice; each name must be unique`);
    seen.add(name);
  }
}

export interface Gallery {
  /** The folder everything was written to (absolute). */
  dir: string;
  /** index.html in `dir`. */
  indexFile: string;
  entries: { name: string; title: string; jsonFile: string }[];
}

/** The renderer bundle, the card view and the gallery script sit next to index.html, so it works from file://. */
export const GALLERY_SCRIPTS = ["adaptivecards.min.js", "card-view.js", "gallery.js"] as const;

/**
 * Writes index.html, the scripts it loads and cards/<name>.json into `outDir`
 * (created if needed; other files there are left alone).
 */
export async function writeGallery(outDir: string, entries: readonly GalleryEntry[] = galleryEntries()): Promise<Gallery> {
  checkEntries(entries);
  const dir = resolve(outDir);
  await mkdir(join(dir, "cards"), { recursive: true });
  const written: Gallery["entries"] = [];
  for (const entry of entries) {
    const jsonFile = join(dir, "cards", `${entry.name}.json`);
    await writeFile(jsonFile, `${JSON.stringify(entry.payload, null, 2)}\n`);
    written.push({ name: entry.name, title: entry.title, jsonFile });
  }
  await copyFile(adaptiveCardsBundlePath(), join(dir, "adaptivecards.min.js"));
  await writeFile(join(dir, "card-view.js"), CARD_VIEW_SCRIPT);
  await writeFile(join(dir, "gallery.js"), GALLERY_SCRIPT);
  const indexFile = join(dir, "index.html");
  await writeFile(indexFile, renderGalleryPage(entries));
  return { dir, indexFile, entries: written };
}

/**
 * JSON inside a <script> element: `<`, `>` and `&` as \u escapes, so no text in
 * a payload can close the element or open a comment; JSON.parse reads it back unchanged.
 */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function renderGalleryPage(entries: readonly GalleryEntry[]): string {
  const sections = entries.map((entry) => {
    const name = escapeHtml(entry.name);
    const bytes = jsonBytes(entry.payload);
    return `<section class="entry" id="${name}">
  <h2><a href="#${name}">${escapeHtml(entry.title)}</a></h2>
  <p class="meta"><code>${name}</code> · <a href="cards/${name}.json">payload JSON</a> · ${bytes.toLocaleString("en-US")} of ${WORKFLOWS_MAX_BYTES.toLocaleString("en-US")} bytes</p>
  <p class="summary" title="The notification line (summary / fallbackText)"></p>
  <div class="shot"><div class="card"></div></div>
  <script type="application/json" class="payload">${scriptJson(entry.payload)}</script>
</section>`;
  });
  const toc = entries.map((e) => `<li><a href="#${escapeHtml(e.name)}">${escapeHtml(e.title)}</a></li>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' file:; style-src 'unsafe-inline'; img-src data: https:; base-uri 'none'; form-action 'none'">
<title>Cloud Backup Alerts · card preview</title>
<style>
${CARD_VIEW_STYLE}
  .bar { background: #ebebeb; border-bottom: 1px solid #e0e0e0; padding: 12px 24px; }
  .bar h1 { font-size: 16px; font-weight: 600; margin: 0 0 4px; }
  .bar p { margin: 0 0 4px; color: #616161; }
  .bar ol { margin: 8px 0 0; padding-left: 20px; columns: 2; max-width: 1000px; }
  main { padding: 8px 24px 24px; }
  .entry { margin: 16px 0 24px; }
  .entry h2 { font-size: 15px; font-weight: 600; margin: 0 0 2px; }
  .entry h2 a { color: inherit; text-decoration: none; }
  .entry .meta { margin: 0 0 2px; color: #616161; font-size: 12px; }
  .entry .summary { margin: 0; color: #424242; font-size: 12px; font-style: italic; }
  .shot { display: inline-block; padding: 12px; margin-left: -12px; background: #f5f5f5; }
  .shot .card { width: 500px; }
</style>
</head>
<body>
<header class="bar">
  <h1>Cloud Backup Alerts · card preview</h1>
  <p>Every card the monitors post, built from the alert fixtures (test/support/alert-fixtures.ts) by the real renderers (shared/render) and drawn by the official Adaptive Cards renderer, as the local inbox of <code>npm start</code> does. Regenerate with <code>npm run preview</code>.</p>
  <p id="status" role="status">Rendering…</p>
  <ol>
${toc}
  </ol>
</header>
<main>
${sections.join("\n")}
</main>
${GALLERY_SCRIPTS.map((src) => `<script src="${src}"></script>`).join("\n")}
</body>
</html>
`;
}

/**
 * Runs in the browser after card-view.js: renders each section's payload.
 * `document.body.dataset.rendered` becomes "true" when done (screenshots wait
 * for it) and `data-failed` counts cards shown as JSON instead.
 */
const GALLERY_SCRIPT = `"use strict";
(function () {
  var view = window.TeamsCardView;
  var failed = 0;
  var sections = document.querySelectorAll("section.entry");
  sections.forEach(function (section) {
    var into = section.querySelector(".card");
    try {
      var payload = JSON.parse(section.querySelector("script.payload").textContent);
      section.querySelector(".summary").textContent = view.summaryOf(payload, view.cardsOf(payload));
      view.renderPayload(payload, into);
    } catch (error) {
      var pre = document.createElement("pre");
      pre.textContent = "Could not show this entry: " + error.message;
      into.appendChild(pre);
    }
    if (!into.querySelector(".ac-adaptiveCard")) { failed++; section.classList.add("failed"); }
  });
  document.getElementById("status").textContent = failed === 0
    ? sections.length + " cards."
    : sections.length + " cards; " + failed + " could not be rendered (shown as JSON).";
  document.body.dataset.failed = String(failed);
  document.body.dataset.rendered = "true";
})();
`;

const GALLERY_READY = `document.body.dataset.rendered === "true"`;

export interface ScreenshotOptions {
  /** From `findChromium()`. */
  executablePath: string;
  /** Only these entries. Default: all. */
  names?: readonly string[];
  /** Device pixels per CSS pixel. Default 1. */
  scale?: number;
}

/** A taller card (a long digest) is cut here, so no PNG grows to hundreds of KB; the gallery page shows it whole. */
export const MAX_SHOT_HEIGHT = 1_000;

/** PNGs of each card (with a little margin for its shadow) into `<gallery>/screenshots/<name>.png`; returns the files. */
export async function screenshotGallery(gallery: Gallery, options: ScreenshotOptions): Promise<string[]> {
  const names = options.names ?? gallery.entries.map((e) => e.name);
  const unknown = names.filter((n) => !gallery.entries.some((e) => e.name === n));
  if (unknown.length > 0) throw new GalleryEntryError(`no gallery entry named ${unknown.join(", ")}`);
  const shots = names.map((name) => ({ selector: `section[id="${name}"] .shot`, file: join(gallery.dir, "screenshots", `${name}.png`), maxHeight: MAX_SHOT_HEIGHT }));
  const session = await ScreenshotSession.start({ executablePath: options.executablePath, scale: options.scale ?? 1 });
  try {
    await session.captureElements(pathToFileURL(gallery.indexFile).href, shots, GALLERY_READY);
  } finally {
    await session.close();
  }
  return shots.map((s) => s.file);
}

/** The README's card pictures: gallery entry → file name in docs/images. */
export const README_CARD_IMAGES = {
  "job-failed-exchange": "job-failed-card.png",
  "digest-5": "digest-card.png",
  "license-seats-warning": "license-card.png",
} as const;

export const README_INBOX_IMAGE = "inbox.png";

/** The demo did not show what the inbox screenshot needs. */
export class DemoInboxError extends Error {
  override readonly name = "DemoInboxError";
}

export interface InboxScreenshotOptions {
  executablePath: string;
  file: string;
  /** The compiled demo entry point. Default dist/cli/start.js next to this file. */
  startScript?: string;
  /** Wait until the inbox holds at least this many messages. Default 3. */
  minMessages?: number;
  /** Give up after this long. Default 90 s (Azurite and the first cycles start first). */
  timeoutInMs?: number;
  /** Let the demo run at least this long first (a picture of the inbox after a while). Default 0. */
  runForMs?: number;
  /** Viewport in CSS pixels. Default 620 × 900. */
  viewport?: { width: number; height: number };
  scale?: number;
}

/**
 * Runs the `npm start` demo (no credentials: Azurite, simulator, inbox on a
 * free port) as a child process, waits for delivered cards, screenshots the
 * inbox page and stops the demo.
 */
export async function screenshotDemoInbox(options: InboxScreenshotOptions): Promise<void> {
  const startScript = options.startScript ?? fileURLToPath(new URL("./start.js", import.meta.url));
  const minMessages = options.minMessages ?? 3;
  const earliest = Date.now() + (options.runForMs ?? 0);
  const deadline = Math.max(earliest, Date.now() + (options.timeoutInMs ?? 90_000));
  const env: NodeJS.ProcessEnv = { ...process.env, DEMO_PORT: "0" };
  delete env["AVEPOINT_CLIENT_ID"];
  const child = spawn(process.execPath, [startScript], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  let running = true;
  void exited.then(() => (running = false));
  try {
    const inboxUrl = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new DemoInboxError(`the demo printed no inbox URL in time; its output:\n${stderr}`)), Math.max(0, deadline - Date.now()));
      // The demo prints "Open the inbox: http://…/" on stdout once ready; its progress and errors go to stderr.
      const read = (chunk: string) => {
        stderr += chunk;
        const found = /open the inbox: (http:\/\/\S+?)\/?\s/i.exec(stderr);
        if (found?.[1]) {
          clearTimeout(timer);
          done(found[1]);
        }
      };
      child.stdout.setEncoding("utf8").on("data", read);
      child.stderr.setEncoding("utf8").on("data", read);
      void exited.then((code) => fail(new DemoInboxError(`the demo exited (code ${code}) before its inbox started; its output:\n${stderr}`)));
    });
    // The picture is best when the newest card (top of the page) is a job alert rather than a
    // "Resolved" notice; the demo's jobs are random, so after the deadline any `minMessages` do.
    for (;;) {
      if (!running) throw new DemoInboxError(`the demo exited early; its output:\n${stderr}`);
      const listing = (await (await fetch(`${inboxUrl}/inbox.json`)).json()) as { messages?: { payload?: { summary?: unknown } }[] };
      const messages = listing.messages ?? [];
      const newest = String(messages[messages.length - 1]?.payload?.summary ?? "");
      if (Date.now() >= earliest && messages.length >= minMessages && /^\[(CRITICAL|WARNING)\] Backup job/.test(newest)) break;
      if (Date.now() > deadline) {
        if (messages.length >= minMessages) break;
        throw new DemoInboxError(`the demo inbox had ${messages.length} of ${minMessages} messages in time`);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const session = await ScreenshotSession.start({ executablePath: options.executablePath, scale: options.scale ?? 1, viewport: options.viewport ?? { width: 620, height: 900 } });
    try {
      await session.capturePage(inboxUrl, options.file, `document.querySelectorAll("article.message .ac-adaptiveCard").length >= ${minMessages}`);
    } finally {
      await session.close();
    }
  } finally {
    if (running) {
      // SIGINT is Ctrl+C: the demo stops its inbox, simulator and Azurite itself.
      child.kill("SIGINT");
      await exited;
    }
  }
}

export interface PreviewCliOptions {
  /** Output lines go here. Default process.stdout. */
  write?: (line: string) => void;
  /** Overrides `findChromium()` (tests); null = act as if Chromium were absent. */
  chromiumPath?: string | null;
  /** Paths are printed relative to this folder. Default the working directory. */
  cwd?: string;
}

const USAGE = "usage: npm run preview [-- --out DIR] [--no-screenshots] [--readme-images DIR]";

export async function main(argv: readonly string[], options: PreviewCliOptions = {}): Promise<number> {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  // Short, copyable paths: relative to where the command was run when inside it.
  const cwd = options.cwd ?? process.cwd();
  const shown = (path: string): string => {
    const rel = relative(cwd, resolve(cwd, path));
    return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  };
  let outDir = ".preview";
  let screenshots = true;
  let readmeDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string | undefined => argv[++i];
    if (arg === "--out") outDir = value() ?? "";
    else if (arg === "--no-screenshots") screenshots = false;
    else if (arg === "--readme-images") readmeDir = value() ?? "";
    else {
      write(`unknown argument ${arg}\n${USAGE}`);
      return 2;
    }
    if (outDir === "" || readmeDir === "") {
      write(`${arg} needs a folder\n${USAGE}`);
      return 2;
    }
  }

  const gallery = await writeGallery(resolve(cwd, outDir));
  write(`preview: ${gallery.entries.length} cards in ${shown(gallery.indexFile)} (payloads in ${shown(join(gallery.dir, "cards"))})`);
  if (!screenshots) return 0;
  const chromium = options.chromiumPath === undefined ? findChromium() : (options.chromiumPath ?? undefined);
  if (!chromium) {
    write("screenshots skipped: Chromium not found at /usr/bin/chromium (or CHROMIUM_PATH); run scripts/install-chromium.sh (Debian/Ubuntu, as root) to get PNGs too");
    return readmeDir === undefined ? 0 : 1;
  }
  const files = await screenshotGallery(gallery, { executablePath: chromium });
  write(`screenshots: ${files.length} PNGs in ${shown(join(gallery.dir, "screenshots"))}`);
  if (readmeDir === undefined) return 0;

  readmeDir = resolve(cwd, readmeDir);
  await mkdir(readmeDir, { recursive: true });
  for (const [name, file] of Object.entries(README_CARD_IMAGES)) {
    await copyFile(join(gallery.dir, "screenshots", `${name}.png`), join(readmeDir, file));
  }
  write("README images: starting the demo for the inbox screenshot (about 20 s)…");
  await screenshotDemoInbox({ executablePath: chromium, file: join(readmeDir, README_INBOX_IMAGE) });
  write(`README images: ${[...Object.values(README_CARD_IMAGES), README_INBOX_IMAGE].join(", ")} in ${shown(readmeDir)}`);
  return 0;
}

runAsScript(import.meta.url, main);
