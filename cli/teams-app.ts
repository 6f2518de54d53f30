/**
 * The Teams app package (what an admin uploads in Teams): teams-app/manifest.json
 * with its placeholders filled in, plus the two icons (teams-app/color.png,
 * teams-app/outline.png), zipped flat with fflate.
 *
 *   npm run teams-app -- --app-id <TEAMS_BOT_APP_ID> --host <func-app>.azurewebsites.net --publisher "Contoso IT"
 *     [--publisher-url https://contoso.example] [--privacy-url URL] [--terms-url URL] [--version 1.0.0] [--out dist/cloud-backup-alerts.zip]
 *
 * The publisher is whoever runs this app (not AvePoint, whose API it reads):
 * the name is required, the URLs default to the function app's own address.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";
import { GUID } from "../shared/config/environment.js";
import { argValue, runAsScript } from "./operator-io.js";

export interface AppPackageValues {
  /** The bot's Microsoft App id (TEAMS_BOT_APP_ID): also the Teams app's id. */
  appId: string;
  /** Host name of the function app (the bot's endpoint), e.g. func-cba-x.azurewebsites.net. */
  functionAppHost: string;
  /** Default 1.0.0. */
  version?: string;
  /** Who publishes the app in this tenant (developer.name, at most 32 characters). */
  publisherName: string;
  /** Default https://<functionAppHost>. */
  publisherUrl?: string;
  /** Default: publisherUrl. */
  privacyUrl?: string;
  /** Default: publisherUrl. */
  termsUrl?: string;
}

export class AppPackageError extends Error {
  override readonly name = "AppPackageError";
}

const HOST = /^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const SEMVER = /^\d+\.\d+\.\d+$/;

/** Field lengths of the manifest schema (teams/v1.22) that Teams refuses an upload for. */
const MAX_LENGTHS: [path: string, max: number][] = [
  ["developer.name", 32],
  ["developer.websiteUrl", 2048],
  ["developer.privacyUrl", 2048],
  ["developer.termsOfUseUrl", 2048],
  ["name.short", 30],
  ["name.full", 100],
  ["description.short", 80],
  ["description.full", 4000],
];

function valueAt(manifest: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], manifest);
}

function httpsUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppPackageError(`${option} must be an https URL, got "${value.slice(0, 80)}"`);
  }
  if (url.protocol !== "https:") throw new AppPackageError(`${option} must be an https URL`);
  return value;
}

/** The manifest with every `{{PLACEHOLDER}}` filled in; refuses values Teams would reject. */
export function fillManifest(template: string, values: AppPackageValues): string {
  const version = values.version ?? "1.0.0";
  if (!GUID.test(values.appId)) throw new AppPackageError(`--app-id must be the bot's Microsoft App id (a GUID, TEAMS_BOT_APP_ID), got "${values.appId}"`);
  if (!HOST.test(values.functionAppHost)) throw new AppPackageError(`--host must be the function app's host name, such as func-cba-x.azurewebsites.net, got "${values.functionAppHost}"`);
  if (!SEMVER.test(version)) throw new AppPackageError(`--version must look like 1.0.0 (Teams wants three numbers), got "${version}"`);
  const publisherName = values.publisherName?.trim() ?? "";
  if (!publisherName) throw new AppPackageError("--publisher is required: the name of your organization, which publishes this app in your tenant (at most 32 characters)");
  const publisherUrl = httpsUrl("--publisher-url", values.publisherUrl ?? `https://${values.functionAppHost.toLowerCase()}`);
  const replacements: Record<string, string> = {
    TEAMS_BOT_APP_ID: values.appId.toLowerCase(),
    FUNCTION_APP_HOST: values.functionAppHost.toLowerCase(),
    APP_VERSION: version,
    PUBLISHER_NAME: publisherName,
    PUBLISHER_URL: publisherUrl,
    PRIVACY_URL: httpsUrl("--privacy-url", values.privacyUrl ?? publisherUrl),
    TERMS_URL: httpsUrl("--terms-url", values.termsUrl ?? publisherUrl),
  };
  const filled = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => {
    const value = replacements[name];
    if (value === undefined) throw new AppPackageError(`teams-app/manifest.json has an unknown placeholder ${whole}`);
    // Values go into JSON strings: encoded as JSON, without the quotes.
    return JSON.stringify(value).slice(1, -1);
  });
  const manifest = JSON.parse(filled) as unknown;
  const tooLong = MAX_LENGTHS.filter(([path, max]) => String(valueAt(manifest, path) ?? "").length > max).map(([path, max]) => `${path} is ${String(valueAt(manifest, path)).length} characters (at most ${max})`);
  if (tooLong.length > 0) throw new AppPackageError(`Teams would refuse this package: ${tooLong.join("; ")}${tooLong.some((t) => t.startsWith("developer.name")) ? ". Shorten --publisher" : ""}`);
  return filled;
}

/** The icons, committed beside the manifest: 192 × 192 color, 32 × 32 white-on-transparent outline. */
function icons(projectRoot: string): { color: Buffer; outline: Buffer } {
  return { color: readFileSync(join(projectRoot, "teams-app", "color.png")), outline: readFileSync(join(projectRoot, "teams-app", "outline.png")) };
}

/** A fixed timestamp (1 Jan 2026): the same inputs give the same package, byte for byte. */
const PACKAGE_TIME = new Date("2026-01-01T00:00:00");

/** The whole package: manifest.json, color.png, outline.png, flat at the root as Teams wants. */
export function buildAppPackage(manifestTemplate: string, values: AppPackageValues, icon: { color: Uint8Array; outline: Uint8Array }): Buffer {
  const entry = (data: Uint8Array): [Uint8Array, { mtime: Date }] => [data, { mtime: PACKAGE_TIME }];
  return Buffer.from(
    zipSync({
      "manifest.json": entry(Buffer.from(fillManifest(manifestTemplate, values), "utf8")),
      "color.png": entry(icon.color),
      "outline.png": entry(icon.outline),
    }),
  );
}

/** `npm run teams-app -- --app-id ... --host ...`: writes the zip and says where. */
export function main(args: string[], projectRoot: string): number {
  const appId = argValue(args, "--app-id") ?? process.env["TEAMS_BOT_APP_ID"];
  const host = argValue(args, "--host");
  const publisherName = argValue(args, "--publisher");
  if (!appId || !host || !publisherName) {
    process.stderr.write(
      "usage: npm run teams-app -- --app-id <TEAMS_BOT_APP_ID> --host <function app host name> --publisher <your organization, at most 32 characters> [--publisher-url https://...] [--privacy-url https://...] [--terms-url https://...] [--version 1.0.0] [--out FILE]\n",
    );
    return 2;
  }
  const optional = (name: string) => argValue(args, name);
  const version = optional("--version");
  const publisherUrl = optional("--publisher-url");
  const privacyUrl = optional("--privacy-url");
  const termsUrl = optional("--terms-url");
  const out = resolve(argValue(args, "--out") ?? join(projectRoot, "dist", "cloud-backup-alerts.zip"));
  try {
    const template = readFileSync(join(projectRoot, "teams-app", "manifest.json"), "utf8");
    const values: AppPackageValues = {
      appId,
      functionAppHost: host,
      publisherName,
      ...(version ? { version } : {}),
      ...(publisherUrl ? { publisherUrl } : {}),
      ...(privacyUrl ? { privacyUrl } : {}),
      ...(termsUrl ? { termsUrl } : {}),
    };
    writeFileSync(out, buildAppPackage(template, values, icons(projectRoot)));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(`Teams app package written to ${out}. In Teams: Apps > Manage your apps > Upload an app, then add it to the on-call team.\n`);
  return 0;
}

// dist/cli/teams-app.js → the project root is two folders up.
runAsScript(import.meta.url, async (args) => main(args, resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")));
