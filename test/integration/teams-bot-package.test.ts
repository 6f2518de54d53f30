import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AppPackageError, buildAppPackage, fillManifest } from "../../shared/bot/app-package.js";
import { unzip } from "../support/unzip.js";

const TEMPLATE = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "teams-app", "manifest.json"), "utf8");
const VALUES = { appId: "0A1B2C3D-1111-2222-3333-444455556666", functionAppHost: "func-cba-abc.azurewebsites.net" };

function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe("Teams app package", () => {
  it("holds the filled-in manifest and both icons at the root", () => {
    const files = unzip(buildAppPackage(TEMPLATE, VALUES));
    expect([...files.keys()]).toEqual(["manifest.json", "color.png", "outline.png"]);
    const manifestText = files.get("manifest.json")!.toString("utf8");
    expect(manifestText).not.toMatch(/\{\{/);
    const manifest = JSON.parse(manifestText) as Record<string, unknown> & { bots: { botId: string; scopes: string[] }[] };
    expect(manifest["id"]).toBe(VALUES.appId.toLowerCase());
    expect(manifest.bots[0]?.botId).toBe(VALUES.appId.toLowerCase());
    expect(manifest.bots[0]?.scopes).toEqual(["team", "groupChat", "personal"]);
    expect(manifest["validDomains"]).toEqual([VALUES.functionAppHost]);
    expect(manifest["version"]).toBe("1.0.0");
    expect(pngSize(files.get("color.png")!)).toEqual([192, 192]);
    expect(pngSize(files.get("outline.png")!)).toEqual([32, 32]);
  });

  it("is the same bytes for the same inputs", () => {
    expect(buildAppPackage(TEMPLATE, VALUES).equals(buildAppPackage(TEMPLATE, VALUES))).toBe(true);
  });

  it.each([
    [{ ...VALUES, appId: "not-a-guid" }, /--app-id/],
    [{ ...VALUES, functionAppHost: "https://func.example/api" }, /--host/],
    [{ ...VALUES, version: "1.0" }, /--version/],
    [{ ...VALUES, publisherUrl: "http://contoso.example" }, /https/],
  ])("refuses values Teams would reject (%#)", (values, message) => {
    expect(() => fillManifest(TEMPLATE, values)).toThrow(AppPackageError);
    expect(() => fillManifest(TEMPLATE, values)).toThrow(message);
  });

  it("encodes a publisher name as JSON text", () => {
    const manifest = JSON.parse(fillManifest(TEMPLATE, { ...VALUES, publisherName: 'Contoso "IT" \\ Ops' })) as { developer: { name: string } };
    expect(manifest.developer.name).toBe('Contoso "IT" \\ Ops');
  });
});
