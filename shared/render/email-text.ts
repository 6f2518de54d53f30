import type { EmailBlock, EmailDocument } from "./email-document.js";

/**
 * Draws an email document as the plain-text alternative: what text-only
 * clients, screen readers, previews and mail filters see. Labels are padded
 * so facts line up in a monospace view; nothing relies on it. The texts are
 * already defanged, so no client turns API text into a link here either.
 */

function blockText(block: EmailBlock): string[] {
  switch (block.type) {
    case "id":
      return [`${block.label}: ${block.value ?? "not reported by the API"}`];
    case "facts": {
      const width = Math.max(...block.facts.map((f) => f.label.length)) + 1;
      return block.facts.map((f) => `${`${f.label}:`.padEnd(width)} ${f.value}`);
    }
    case "list": {
      const lines = [block.heading, ...block.items.flatMap((item) => [`- ${item.text}`, ...(item.detail ? [`  ${item.detail}`] : [])])];
      if (block.more) lines.push(block.more);
      return lines;
    }
    case "paragraph":
      return [block.text];
    case "entries":
      return block.entries.flatMap((entry, i) => [...(i > 0 ? [""] : []), `${entry.label} \u00B7 ${entry.headline}`, `  ${entry.details}`]);
  }
}

export function renderEmailText(doc: EmailDocument): string {
  const sections = [
    [`${doc.label}: ${doc.title}`, doc.subtitle],
    ...doc.blocks.map(blockText),
    [`Open AvePoint Online Services: ${doc.portalUrl}`],
    ["--", `Sent by Cloud Backup Alerts for ${doc.tenant}. Times are UTC.`],
  ];
  return `${sections.map((lines) => lines.join("\n")).join("\n\n")}\n`;
}
