import { ManagedIdentityCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import type { LazyCredential } from "../../shared/security/lazy-credential.js";
import { exporterCredential, flushMetrics, parseAuthenticationString, startMetricsExport } from "../../shared/telemetry/export.js";

describe("the Application Insights authentication string", () => {
  it.each([
    ["Authorization=AAD;ClientId=11111111-2222-3333-4444-555555555555", { aad: true, clientId: "11111111-2222-3333-4444-555555555555" }],
    ["ClientId=abc; authorization=aad", { aad: true, clientId: "abc" }],
    ["Authorization=AAD", { aad: true }],
    ["", { aad: false }],
    [undefined, { aad: false }],
    ["Authorization=Key;ClientId=abc", { aad: false, clientId: "abc" }],
    ["garbage", { aad: false }],
  ])("%j reads as %j", (text, expected) => {
    expect(parseAuthenticationString(text)).toEqual(expected);
  });

  it("gives the exporter a managed identity credential only for Entra ID (AAD) authentication", async () => {
    expect(exporterCredential({})).toBeUndefined();
    expect(exporterCredential({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=Key" })).toBeUndefined();
    for (const env of [
      { APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD;ClientId=abc" },
      { APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD", AZURE_CLIENT_ID: "abc" },
      { APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD" },
    ]) {
      const credential = exporterCredential(env) as LazyCredential | undefined;
      expect(credential).toBeDefined();
      expect(await credential!.resolve()).toBeInstanceOf(ManagedIdentityCredential);
    }
  });
});

describe("starting the exporter", () => {
  it("does nothing without APPLICATIONINSIGHTS_CONNECTION_STRING (local runs, tests)", async () => {
    await expect(startMetricsExport({ env: {} })).resolves.toBe(false);
    await expect(startMetricsExport({ env: { APPLICATIONINSIGHTS_CONNECTION_STRING: "  " } })).resolves.toBe(false);
    await expect(flushMetrics()).resolves.toBeUndefined();
  });
});
