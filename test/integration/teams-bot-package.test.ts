import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { AppPackageError, buildAppPackage, fillManifest } from "../../cli/teams-app.js";
import { unzip } from "../support/unzip.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TEMPLATE = readFileSync(join(ROOT, "teams-app", "manifest.json"), "utf8");
const ICONS = { color: readFileSync(join(ROOT, "teams-app", "color.png")), outline: readFileSync(join(ROOT, "teams-app", "outline.png")) };
const VALUES = { appId: "0A1B2C3D-1111-2222-3333-444455556666", functionAppHost: "func-cba-abc.azurewebsites.net", publisherName: "Contoso IT" };

function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe("Teams app package", () => {
  it("holds the filled-in manifest and both icons at the root", () => {
    const files = unzip(buildAppPackage(TEMPLATE, VALUES, ICONS));
    expect([...files.keys()]).toEqual(["manifest.json", "color.png", "outline.png"]);
    const manifestText = files.get("manifest.json")!.toString("utf8");
    expect(manifestText).not.toMatch(/\{\{/);
    const manifest = JSON.parse(manifestText) as Record<string, unknown> & { bots: { botId: string; scopes: string[] }[] };
    expect(manifest["id"]).toBe(VALUES.appId.toLowerCase());
    expect(manifest.bots[0]?.botId).toBe(VALUES.appId.toLowerCase());
    expect(manifest.bots[0]?.scopes).toEqual(["team", "groupChat", "personal"]);
    expect(manifest["validDomains"]).toEqual([VALUES.functionAppHost]);
    expect(manifest["version"]).toBe("1.0.0");
    // The current schema, and the publisher is whoever deploys it: the function app's own address unless told.
    expect(manifest["manifestVersion"]).toBe("1.22");
    expect(manifest["$schema"]).toBe("https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json");
    expect(manifest["developer"]).toEqual({
      name: "Contoso IT",
      websiteUrl: "https://func-cba-abc.azurewebsites.net",
      privacyUrl: "https://func-cba-abc.azurewebsites.net",
      termsOfUseUrl: "https://func-cba-abc.azurewebsites.net",
    });
    expect(manifestText).not.toContain("avepoint");
    expect(pngSize(files.get("color.png")!)).toEqual([192, 192]);
    expect(pngSize(files.get("outline.png")!)).toEqual([32, 32]);
  });

  it("is the same bytes for the same inputs", () => {
    expect(buildAppPackage(TEMPLATE, VALUES, ICONS).equals(buildAppPackage(TEMPLATE, VALUES, ICONS))).toBe(true);
  });

  it.each([
    [{ ...VALUES, appId: "not-a-guid" }, /--app-id/],
    [{ ...VALUES, functionAppHost: "https://func.example/api" }, /--host/],
    [{ ...VALUES, version: "1.0" }, /--version/],
    [{ ...VALUES, publisherUrl: "http://contoso.example" }, /https/],
    [{ ...VALUES, privacyUrl: "not a url" }, /--privacy-url must be an https URL/],
    [{ ...VALUES, publisherName: "" }, /--publisher is required/],
    [{ ...VALUES, publisherName: "Contoso Information Technology Department" }, /developer\.name is 41 characters \(at most 32\)\. Shorten --publisher/],
  ])("refuses values Teams would reject (%#)", (values, message) => {
    expect(() => fillManifest(TEMPLATE, values)).toThrow(AppPackageError);
    expect(() => fillManifest(TEMPLATE, values)).toThrow(message);
  });

  it("encodes a publisher name as JSON text", () => {
    const manifest = JSON.parse(fillManifest(TEMPLATE, { ...VALUES, publisherName: 'Contoso "IT" \\ Ops' })) as { developer: { name: string } };
    expect(manifest.developer.name).toBe('Contoso "IT" \\ Ops');
  });

  it("npm run teams-app refuses a publisher name Teams would reject, and writes a 1.22 package for a good one", () => {
    // The compiled entry point, as `npm run teams-app` runs it (npm test builds first).
    const out = join(mkdtempSync(join(tmpdir(), "teams-app-")), "app.zip");
    const run = (publisher: string) =>
      spawnSync(process.execPath, [join(ROOT, "dist", "cli", "teams-app.js"), "--app-id", VALUES.appId, "--host", VALUES.functionAppHost, "--publisher", publisher, "--out", out], { encoding: "utf8" });
    const refused = run("Contoso Information Technology Department");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("developer.name is 41 characters (at most 32)");
    const written = run("Contoso IT");
    expect(written.status).toBe(0);
    expect(JSON.parse(unzip(readFileSync(out)).get("manifest.json")!.toString("utf8")).manifestVersion).toBe("1.22");
  });
});
