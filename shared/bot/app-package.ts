/**
 * The Teams app package (what an admin uploads in Teams): teams-app/manifest.json
 * with its placeholders filled in, plus the two icons, zipped.
 *
 *   npm run teams-app -- --app-id <TEAMS_BOT_APP_ID> --host <func-app>.azurewebsites.net [--version 1.0.0]
 *     [--publisher "Contoso IT"] [--publisher-url https://contoso.example] [--out dist/cloud-backup-alerts.zip]
 *
 * The icons are drawn here (a solid color square with a white check mark, and
 * its white outline on transparent), so the repository holds no binaries.
 * No dependency: PNG and ZIP are written with node:zlib.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { crc32, deflateRawSync, deflateSync } from "node:zlib";

export interface AppPackageValues {
  /** The bot's Microsoft App id (TEAMS_BOT_APP_ID): also the Teams app's id. */
  appId: string;
  /** Host name of the function app (the bot's endpoint), e.g. func-cba-x.azurewebsites.net. */
  functionAppHost: string;
  /** Default 1.0.0. */
  version?: string;
  publisherName?: string;
  publisherUrl?: string;
}

export class AppPackageError extends Error {
  override readonly name = "AppPackageError";
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST = /^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const SEMVER = /^\d+\.\d+\.\d+$/;

/** The manifest with every `{{PLACEHOLDER}}` filled in; refuses values Teams would reject. */
export function fillManifest(template: string, values: AppPackageValues): string {
  const version = values.version ?? "1.0.0";
  const publisherUrl = values.publisherUrl ?? "https://www.avepointonlineservices.com";
  if (!GUID.test(values.appId)) throw new AppPackageError(`--app-id must be the bot's Microsoft App id (a GUID, TEAMS_BOT_APP_ID), got "${values.appId}"`);
  if (!HOST.test(values.functionAppHost)) throw new AppPackageError(`--host must be the function app's host name, such as func-cba-x.azurewebsites.net, got "${values.functionAppHost}"`);
  if (!SEMVER.test(version)) throw new AppPackageError(`--version must look like 1.0.0 (Teams wants three numbers), got "${version}"`);
  if (!publisherUrl.startsWith("https://")) throw new AppPackageError("--publisher-url must be an https URL");
  const replacements: Record<string, string> = {
    TEAMS_BOT_APP_ID: values.appId.toLowerCase(),
    FUNCTION_APP_HOST: values.functionAppHost.toLowerCase(),
    APP_VERSION: version,
    PUBLISHER_NAME: values.publisherName ?? "Cloud Backup Alerts",
    PUBLISHER_URL: publisherUrl,
  };
  const filled = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => {
    const value = replacements[name];
    if (value === undefined) throw new AppPackageError(`teams-app/manifest.json has an unknown placeholder ${whole}`);
    // Values go into JSON strings: encoded as JSON, without the quotes.
    return JSON.stringify(value).slice(1, -1);
  });
  JSON.parse(filled);
  return filled;
}

// --- PNG ----------------------------------------------------------------------

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** An RGBA PNG drawn by `pixel(x, y)`. */
export function drawPng(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const rows = Buffer.alloc(size * (1 + size * 4));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 4);
    for (let x = 0; x < size; x++) rows.set(pixel(x, y), row + 1 + x * 4);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk("IHDR", header), pngChunk("IDAT", deflateSync(rows)), pngChunk("IEND", Buffer.alloc(0))]);
}

/** Whether (x, y) in a unit square lies on a check mark stroke. */
function onCheckMark(u: number, v: number, width: number): boolean {
  const near = (ax: number, ay: number, bx: number, by: number) => {
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(u - (ax + t * dx), v - (ay + t * dy)) <= width;
  };
  return near(0.25, 0.52, 0.43, 0.7) || near(0.43, 0.7, 0.76, 0.32);
}

/** 192 × 192, the accent color with a white check mark (Teams' color icon). */
export function colorIcon(): Buffer {
  return drawPng(192, (x, y) => (onCheckMark(x / 192, y / 192, 0.06) ? [255, 255, 255, 255] : [0x0f, 0x6c, 0xbd, 255]));
}

/** 32 × 32, white on transparent (Teams' outline icon). */
export function outlineIcon(): Buffer {
  return drawPng(32, (x, y) => (onCheckMark((x + 0.5) / 32, (y + 0.5) / 32, 0.08) ? [255, 255, 255, 255] : [0, 0, 0, 0]));
}

// --- ZIP ----------------------------------------------------------------------

/** A ZIP archive of deflated files (flat, as Teams wants: the manifest and icons at the root). */
export function zip(files: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  // A fixed timestamp (1 Jan 2026): the same inputs give the same package, byte for byte.
  const dosTime = 0;
  const dosDate = ((2026 - 1980) << 9) | (1 << 5) | 1;
  for (const file of files) {
    const name = Buffer.from(file.name, "utf8");
    const compressed = deflateRawSync(file.data);
    const crc = crc32(file.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The whole package: manifest.json, color.png, outline.png. */
export function buildAppPackage(manifestTemplate: string, values: AppPackageValues): Buffer {
  return zip([
    { name: "manifest.json", data: Buffer.from(fillManifest(manifestTemplate, values), "utf8") },
    { name: "color.png", data: colorIcon() },
    { name: "outline.png", data: outlineIcon() },
  ]);
}

function argument(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

/** `npm run teams-app -- --app-id ... --host ...`: writes the zip and says where. */
export function main(args: string[], projectRoot: string): number {
  const appId = argument(args, "--app-id") ?? process.env["TEAMS_BOT_APP_ID"];
  const host = argument(args, "--host");
  if (!appId || !host) {
    process.stderr.write("usage: npm run teams-app -- --app-id <TEAMS_BOT_APP_ID> --host <function app host name> [--version 1.0.0] [--publisher NAME] [--publisher-url https://...] [--out FILE]\n");
    return 2;
  }
  const version = argument(args, "--version");
  const publisherName = argument(args, "--publisher");
  const publisherUrl = argument(args, "--publisher-url");
  const out = resolve(argument(args, "--out") ?? join(projectRoot, "dist", "cloud-backup-alerts.zip"));
  try {
    const template = readFileSync(join(projectRoot, "teams-app", "manifest.json"), "utf8");
    const values: AppPackageValues = {
      appId,
      functionAppHost: host,
      ...(version ? { version } : {}),
      ...(publisherName ? { publisherName } : {}),
      ...(publisherUrl ? { publisherUrl } : {}),
    };
    writeFileSync(out, buildAppPackage(template, values));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(`Teams app package written to ${out}. In Teams: Apps > Manage your apps > Upload an app, then add it to the on-call team.\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // dist/shared/bot/app-package.js → the project root is three folders up.
  process.exitCode = main(process.argv.slice(2), resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", ".."));
}
