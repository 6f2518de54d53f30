import { describe, expect, it } from "vitest";
import { settingProblemLines } from "../support/setting-problems.js";
import { parseSettings } from "../../shared/config/settings.js";

/** TEAMS_BOT_*: how the bot signs in, and which Teams tenants it serves. */

const TENANT = "8a6f3b2e-4c1d-4e5f-9a7b-0c1d2e3f4a5b";
const OTHER = "F00DFEED-0000-4000-8000-00000000BEEF";
const bot = { TEAMS_BOT_APP_ID: "11111111-2222-3333-4444-555555555555", TEAMS_BOT_APP_PASSWORD: "pw", TEAMS_BOT_TENANT_ID: TENANT };

const problemsOf = (values: Record<string, string>): string[] => settingProblemLines(values, { requireAvePoint: false });

describe("Teams bot settings", () => {
  it("signs in as SingleTenant unless told otherwise, and serves only its own tenant", () => {
    const settings = parseSettings(bot, { requireAvePoint: false }).bot;
    expect(settings).toMatchObject({ appType: "SingleTenant", tenantId: TENANT, allowedTenants: [TENANT] });
  });

  it("requires the tenant id, whatever the app type (MultiTenant only when asked for)", () => {
    const { TEAMS_BOT_TENANT_ID: _, ...withoutTenant } = bot;
    expect(problemsOf(withoutTenant)).toEqual([expect.stringMatching(/^TEAMS_BOT_TENANT_ID: is required/)]);
    expect(problemsOf({ ...withoutTenant, TEAMS_BOT_APP_TYPE: "MultiTenant" })).toEqual([expect.stringMatching(/^TEAMS_BOT_TENANT_ID: is required/)]);
    expect(parseSettings({ ...bot, TEAMS_BOT_APP_TYPE: "MultiTenant" }, { requireAvePoint: false }).bot?.appType).toBe("MultiTenant");
  });

  it("takes a list of allowed tenants (case does not matter) and refuses what is not a tenant id", () => {
    expect(parseSettings({ ...bot, TEAMS_BOT_ALLOWED_TENANTS: `${TENANT}, ${OTHER}` }, { requireAvePoint: false }).bot?.allowedTenants).toEqual([TENANT, OTHER.toLowerCase()]);
    expect(problemsOf({ ...bot, TEAMS_BOT_ALLOWED_TENANTS: "contoso.onmicrosoft.com" })).toEqual([expect.stringMatching(/^TEAMS_BOT_ALLOWED_TENANTS: must be a comma-separated list of tenant ids/)]);
    expect(problemsOf({ ...bot, TEAMS_BOT_TENANT_ID: "contoso.onmicrosoft.com" })).toEqual([expect.stringMatching(/^TEAMS_BOT_TENANT_ID: must be the tenant id as a GUID/)]);
    expect(problemsOf({ TEAMS_BOT_ALLOWED_TENANTS: TENANT })).toEqual([expect.stringMatching(/^TEAMS_BOT_ALLOWED_TENANTS: is set but TEAMS_BOT_APP_ID is not/)]);
  });
});
