/**
 * Which receivers an alert goes to, and whether a silence holds it back.
 * Pure functions of the alert, the routing and (for silences) the time.
 */
import type { ServiceId } from "../avepoint/model.js";
import type { AlertMatchers, Routing, Silence } from "../config/routing-file.js";
import { isInWeeklyWindow } from "../config/weekly-window.js";

/**
 * What routing looks at. Every Alert fits; so does a sample alert built from
 * the command line (`check-config --test kind=job,severity=critical`).
 */
export interface RoutableAlert {
  kind: string;
  severity: string;
  tenant: string;
  service?: ServiceId | undefined;
}

/**
 * Matchers, per field present:
 *
 *   field            matches when                                  alert without the field
 *   kind             alert.kind is one of the values               -
 *   severity         alert.severity is one of the values           -
 *   service          alert.service is one of the services          no match (license alerts, jobs of unknown service)
 *   tenant           alert.tenant equals a value, ignoring case    -
 *   (field absent)   always
 *
 * All fields present must match (AND); the values of one field are
 * alternatives (OR). Empty matchers match every alert.
 */
export function matches(alert: RoutableAlert, matchers: AlertMatchers): boolean {
  if (matchers.kind && !matchers.kind.includes(alert.kind)) return false;
  if (matchers.severity && !(matchers.severity as readonly string[]).includes(alert.severity)) return false;
  if (matchers.service && (alert.service === undefined || !matchers.service.includes(alert.service))) return false;
  if (matchers.tenant) {
    const tenant = alert.tenant.toLowerCase();
    if (!matchers.tenant.some((t) => t.toLowerCase() === tenant)) return false;
  }
  return true;
}

/**
 * The receivers of an alert, in the order first named.
 *
 *   routes, in file order             effect
 *   a route matches                   its receivers are added
 *   ... without continue: true        routing stops there
 *   ... with continue: true           later routes are tried too
 *   a route does not match            skipped
 *   no route matched at all           the default receivers
 *
 * A matched route with `continue` followed by no other match still counts as
 * a match: the default is only for alerts no route wanted. A receiver named
 * by several matching routes is listed once.
 */
export function routeAlert(alert: RoutableAlert, routing: Pick<Routing, "routes" | "defaultReceivers">): string[] {
  const receivers: string[] = [];
  let matched = false;
  for (const route of routing.routes) {
    if (!matches(alert, route.matchers)) continue;
    matched = true;
    for (const name of route.receivers) if (!receivers.includes(name)) receivers.push(name);
    if (!route.continue) break;
  }
  return matched ? receivers : [...routing.defaultReceivers];
}

/**
 * Whether a silence is in force at `now`:
 *
 *   starts        ends          weekly      in force when
 *   given         given         -           starts <= now < ends
 *   any           any           given       now is inside the weekly window (its zone's wall clock),
 *                                            and not before starts / not at or after ends when given
 *
 * (A silence without `weekly` has both starts and ends: the config refuses an endless one.)
 */
export function isSilenceActive(silence: Silence, now: Date): boolean {
  if (silence.starts && now.getTime() < silence.starts.getTime()) return false;
  if (silence.ends && now.getTime() >= silence.ends.getTime()) return false;
  if (silence.weekly) return isInWeeklyWindow(silence.weekly, now);
  return silence.starts !== undefined && silence.ends !== undefined;
}

/** The first silence (in file order) that is in force at `now` and matches the alert; undefined when none. */
export function isSilenced(alert: RoutableAlert, silences: readonly Silence[], now: Date): Silence | undefined {
  return silences.find((s) => matches(alert, s.matchers) && isSilenceActive(s, now));
}
