import { describe, expect, it, test } from "vitest";
import type { Routing, Silence } from "../../shared/config/routing-file.js";
import { isSilenced, matches, routeAlert, type RoutableAlert } from "../../shared/routing/route.js";
import { isInWeeklyWindow, localMinuteOfWeek, type WeeklyWindow } from "../../shared/config/weekly-window.js";
import { exchangeRecovery, failedExchangeJob, failedUnknownServiceJob, seatsCritical, seatsWarning } from "../support/alert-fixtures.js";

const alert = (fields: Partial<RoutableAlert>): RoutableAlert => ({ kind: "job", severity: "critical", tenant: "Contoso", service: 1, ...fields });

describe("matchers", () => {
  test.each([
    // [case, matchers, alert, expected]
    ["empty matchers match anything", {}, alert({}), true],
    ["kind listed", { kind: ["job", "license"] }, alert({ kind: "license" }), true],
    ["kind not listed", { kind: ["job"] }, alert({ kind: "job-recovery" }), false],
    ["a kind routing does not know yet is a string like any other", { kind: ["monitoring"] }, alert({ kind: "monitoring" }), true],
    ["severity listed", { severity: ["critical", "warning"] }, alert({ severity: "warning" }), true],
    ["severity not listed", { severity: ["critical"] }, alert({ severity: "info" }), false],
    ["service listed", { service: [1, 2] }, alert({ service: 2 }), true],
    ["service not listed", { service: [1] }, alert({ service: 3 }), false],
    ["no service on the alert never matches a service matcher", { service: [1] }, alert({ service: undefined }), false],
    ["tenant ignores case", { tenant: ["contoso"] }, alert({ tenant: "CONTOSO" }), true],
    ["other tenant", { tenant: ["fabrikam"] }, alert({}), false],
    ["all fields must match (AND)", { kind: ["job"], severity: ["warning"] }, alert({ severity: "critical" }), false],
    ["all fields match", { kind: ["job"], severity: ["critical"], service: [1], tenant: ["Contoso"] }, alert({}), true],
  ] as const)("%s", (_case, matchers, subject, expected) => {
    expect(matches(subject, matchers as never)).toBe(expected);
  });
});

describe("routeAlert", () => {
  const routing: Pick<Routing, "routes" | "defaultReceivers"> = {
    routes: [
      { matchers: { severity: ["critical"] }, receivers: ["oncall-teams", "oncall-mail"], continue: true },
      { matchers: { kind: ["license"] }, receivers: ["licensing"], continue: false },
      { matchers: { severity: ["critical"], service: [1] }, receivers: ["exchange-team", "oncall-mail"], continue: false },
      { matchers: { severity: ["warning"] }, receivers: ["team-channel"], continue: false },
      { matchers: { severity: ["warning"] }, receivers: ["never-reached"], continue: false },
    ],
    defaultReceivers: ["team-channel"],
  };

  test.each([
    // [case, alert, receivers]
    ["critical Exchange job: route 1 continues into route 3; a receiver named twice is listed once", alert({}), ["oncall-teams", "oncall-mail", "exchange-team"]],
    ["critical SharePoint job: route 1 continues, nothing later matches; no default", alert({ service: 2 }), ["oncall-teams", "oncall-mail"]],
    ["critical license: route 1 continues into route 2, which stops", alert({ kind: "license", service: undefined }), ["oncall-teams", "oncall-mail", "licensing"]],
    ["warning license: route 2 stops before the warning route", alert({ kind: "license", severity: "warning", service: undefined }), ["licensing"]],
    ["warning job: the first warning route stops; the second is never reached", alert({ severity: "warning" }), ["team-channel"]],
    ["info job: no route matches, the default", alert({ severity: "info" }), ["team-channel"]],
  ] as const)("%s", (_case, subject, expected) => {
    expect(routeAlert(subject, routing)).toEqual(expected);
  });

  it("routes the real alert shapes (service on job alerts, none on license alerts)", () => {
    const byService = { routes: [{ matchers: { service: [1 as const] }, receivers: ["exchange"], continue: false }], defaultReceivers: ["all"] };
    expect(routeAlert(failedExchangeJob, byService)).toEqual(["exchange"]);
    expect(routeAlert(exchangeRecovery, byService)).toEqual(["exchange"]);
    expect(routeAlert(failedUnknownServiceJob, byService)).toEqual(["all"]);
    expect(routeAlert(seatsCritical, byService)).toEqual(["all"]);
  });

  it("with no routes everything goes to the default (the routing built from TEAMS_WEBHOOK_URL / EMAIL_TO)", () => {
    expect(routeAlert(seatsWarning, { routes: [], defaultReceivers: ["teams", "email"] })).toEqual(["teams", "email"]);
  });

  it("returns a copy of the default, which callers may change", () => {
    const r = { routes: [], defaultReceivers: ["teams"] };
    routeAlert(seatsWarning, r).push("x");
    expect(r.defaultReceivers).toEqual(["teams"]);
  });
});

const at = (iso: string) => new Date(iso);

describe("silences: a timeline with an injected clock", () => {
  const maintenance: Silence = {
    name: "exchange-migration",
    matchers: { service: [1] },
    starts: at("2026-05-04T20:00:00Z"),
    ends: at("2026-05-04T23:00:00Z"),
  };
  const sunday: Silence = {
    name: "sunday-maintenance",
    matchers: {},
    weekly: { days: ["sunday"], start: "02:00", end: "06:00", timeZone: "Europe/Berlin" },
  };
  const silences = [maintenance, sunday];

  test.each([
    // [time, alert, silence in force (name) or undefined]
    ["2026-05-04T19:59:59Z", alert({}), undefined], // a second before starts
    ["2026-05-04T20:00:00Z", alert({}), "exchange-migration"], // starts is inclusive
    ["2026-05-04T22:59:59Z", alert({}), "exchange-migration"],
    ["2026-05-04T22:30:00Z", alert({ service: 2 }), undefined], // matchers: only Exchange
    ["2026-05-04T23:00:00Z", alert({}), undefined], // ends is exclusive
    ["2026-05-10T00:00:00Z", alert({ kind: "license", service: undefined }), "sunday-maintenance"], // Sunday 02:00 CEST
    ["2026-05-09T23:59:59Z", alert({}), undefined], // Sunday 01:59:59 CEST
    ["2026-05-10T03:59:00Z", alert({}), "sunday-maintenance"], // 05:59 CEST
    ["2026-05-10T04:00:00Z", alert({}), undefined], // 06:00 CEST: end is exclusive
    ["2026-05-11T00:30:00Z", alert({}), undefined], // Monday 02:30: not a listed day
  ] as const)("at %s", (time, subject, expected) => {
    expect(isSilenced(subject, silences, at(time))?.name).toBe(expected);
  });

  it("the first silence in file order wins when several hold", () => {
    const everything: Silence = { ...maintenance, name: "everything", matchers: {} };
    expect(isSilenced(alert({}), [everything, maintenance], at("2026-05-04T21:00:00Z"))?.name).toBe("everything");
  });

  it("starts and ends bound a weekly window", () => {
    const bounded: Silence = { ...sunday, starts: at("2026-05-15T00:00:00Z"), ends: at("2026-06-01T00:00:00Z") };
    expect(isSilenced(alert({}), [bounded], at("2026-05-10T01:00:00Z"))).toBeUndefined(); // a Sunday before starts
    expect(isSilenced(alert({}), [bounded], at("2026-05-17T01:00:00Z"))?.name).toBe("sunday-maintenance");
    expect(isSilenced(alert({}), [bounded], at("2026-06-07T01:00:00Z"))).toBeUndefined(); // a Sunday after ends
  });
});

describe("weekly windows across daylight-saving changes", () => {
  const berlin: WeeklyWindow = { days: ["sunday"], start: "02:00", end: "06:00", timeZone: "Europe/Berlin" };
  // Europe/Berlin: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
  test.each([
    // spring forward: local 02:00-03:00 does not exist; the window opens at 03:00 CEST (01:00Z) and lasts three hours
    ["2026-03-29T00:59:00Z", false], // 01:59 CET
    ["2026-03-29T01:00:00Z", true], // 03:00 CEST
    ["2026-03-29T03:59:00Z", true], // 05:59 CEST
    ["2026-03-29T04:00:00Z", false], // 06:00 CEST
    // the Sunday before (CET all day): 01:00Z-05:00Z
    ["2026-03-22T00:59:00Z", false],
    ["2026-03-22T01:00:00Z", true],
    ["2026-03-22T04:59:00Z", true],
    ["2026-03-22T05:00:00Z", false],
    // fall back: 02:00-03:00 happens twice; the window lasts five hours, 00:00Z-05:00Z
    ["2026-10-24T23:59:00Z", false], // 01:59 CEST
    ["2026-10-25T00:00:00Z", true], // 02:00 CEST
    ["2026-10-25T01:30:00Z", true], // 02:30 CET, the second time
    ["2026-10-25T04:59:00Z", true], // 05:59 CET
    ["2026-10-25T05:00:00Z", false], // 06:00 CET
  ] as const)("Sunday 02:00-06:00 Europe/Berlin at %s: %s", (time, inside) => {
    expect(isInWeeklyWindow(berlin, at(time))).toBe(inside);
  });

  const newYorkWindow: WeeklyWindow = { days: ["saturday", "sunday"], start: "22:00", end: "03:00", timeZone: "America/New_York" };
  // America/New_York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
  test.each([
    // Saturday 22:00 EST (03:00Z Sunday) until Sunday 03:00 EDT (07:00Z): the night loses an hour
    ["2026-03-08T02:59:00Z", false], // Sat 21:59 EST
    ["2026-03-08T03:00:00Z", true], // Sat 22:00 EST
    ["2026-03-08T06:59:00Z", true], // Sun 01:59 EST
    ["2026-03-08T07:00:00Z", false], // Sun 03:00 EDT: the window (Saturday's) is over, Sunday's opens at 22:00
    ["2026-03-09T01:59:00Z", false], // Sun 21:59 EDT
    ["2026-03-09T02:00:00Z", true], // Sun 22:00 EDT
    ["2026-03-09T06:59:00Z", true], // Mon 02:59 EDT: Sunday's window runs past midnight
    ["2026-03-09T07:00:00Z", false], // Mon 03:00 EDT
    // Saturday 22:00 EDT (02:00Z Sunday) until Sunday 03:00 EST (08:00Z): the night gains an hour
    ["2026-11-01T01:59:00Z", false], // Sat 21:59 EDT
    ["2026-11-01T02:00:00Z", true], // Sat 22:00 EDT
    ["2026-11-01T05:30:00Z", true], // Sun 01:30 EDT
    ["2026-11-01T06:30:00Z", true], // Sun 01:30 EST, the second time
    ["2026-11-01T07:59:00Z", true], // Sun 02:59 EST
    ["2026-11-01T08:00:00Z", false], // Sun 03:00 EST
  ] as const)("Saturday and Sunday 22:00-03:00 America/New_York at %s: %s", (time, inside) => {
    expect(isInWeeklyWindow(newYorkWindow, at(time))).toBe(inside);
  });

  test.each([
    ["2026-05-10T00:00:00Z", "Europe/Berlin", 0 * 1440 + 120], // Sunday 02:00 CEST
    ["2026-05-09T21:59:00Z", "America/New_York", 6 * 1440 + 17 * 60 + 59], // Saturday 17:59 EDT
    ["2026-01-01T00:00:00Z", "UTC", 4 * 1440], // a Thursday, midnight
    ["2026-01-01T00:00:00Z", "Asia/Kolkata", 4 * 1440 + 5 * 60 + 30], // +05:30
  ] as const)("local minute of the week at %s in %s", (time, zone, minute) => {
    expect(localMinuteOfWeek(at(time), zone)).toBe(minute);
  });

  it("a whole-day window, 00:00-24:00", () => {
    const monday: WeeklyWindow = { days: ["monday"], start: "00:00", end: "24:00", timeZone: "UTC" };
    expect(isInWeeklyWindow(monday, at("2026-05-10T23:59:59Z"))).toBe(false);
    expect(isInWeeklyWindow(monday, at("2026-05-11T00:00:00Z"))).toBe(true);
    expect(isInWeeklyWindow(monday, at("2026-05-11T23:59:59Z"))).toBe(true);
    expect(isInWeeklyWindow(monday, at("2026-05-12T00:00:00Z"))).toBe(false);
  });
});
