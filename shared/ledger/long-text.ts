import { LedgerDataError } from "./errors.js";

/**
 * Table Storage limits a string property to 64 KiB of UTF-16 (32K characters)
 * and an entity to 1 MiB. Long JSON (an alert with many job errors, a monitor's
 * state) is split across numbered properties: `name`, `name_2`, `name_3`...,
 * with `nameParts` holding the count when there is more than one. What still
 * does not fit in one entity fails loudly (LedgerDataError) before any write.
 */

/** Characters per property: under 32,768 with room to spare. */
const MAX_CHARS_PER_PROPERTY = 32_000;
/** Under the 1 MiB entity limit, leaving room for keys and system properties. */
const MAX_ENTITY_BYTES = 1_000_000;

export function splitLongText(name: string, text: string): Record<string, string | number> {
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + MAX_CHARS_PER_PROPERTY, text.length);
    // Never cut a surrogate pair in two: each half alone is not valid text.
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  if (parts.length === 0) parts.push("");
  const properties: Record<string, string | number> = {};
  parts.forEach((part, i) => {
    properties[i === 0 ? name : `${name}_${i + 1}`] = part;
  });
  if (parts.length > 1) properties[`${name}Parts`] = parts.length;
  return properties;
}

export function joinLongText(name: string, entity: Record<string, unknown>, rowLabel: string): string {
  const countValue = entity[`${name}Parts`];
  const count = typeof countValue === "number" ? countValue : 1;
  let text = "";
  for (let i = 1; i <= count; i++) {
    const part = entity[i === 1 ? name : `${name}_${i}`];
    if (typeof part !== "string") throw new LedgerDataError(`${rowLabel}: property ${name} part ${i} of ${count} is missing; the row is damaged.`);
    text += part;
  }
  return text;
}

/** Size by the service's formula: 4 + keys + per property 8 + 2×name + value (strings 4 + 2×length, dates and numbers 8). */
function entityBytes(entity: Record<string, unknown>): number {
  let bytes = 4;
  for (const [name, value] of Object.entries(entity)) {
    if (name === "partitionKey" || name === "rowKey") {
      bytes += typeof value === "string" ? value.length * 2 : 0;
      continue;
    }
    bytes += 8 + name.length * 2;
    if (typeof value === "string") bytes += 4 + value.length * 2;
    else bytes += 8;
  }
  return bytes;
}

export function assertEntityFits(entity: Record<string, unknown>, what: string): void {
  const bytes = entityBytes(entity);
  if (bytes > MAX_ENTITY_BYTES) {
    throw new LedgerDataError(`${what} needs ${Math.ceil(bytes / 1024)} KiB; Table Storage holds at most 1 MiB per row. Reduce what is stored there.`);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
