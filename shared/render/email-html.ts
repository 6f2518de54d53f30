import type { EmailBlock, EmailDigestEntry, EmailDocument, EmailTone } from "./email-document.js";

/**
 * Draws an email document as HTML that Outlook renders as intended. Outlook
 * for Windows lays mail out with Word's engine: no external CSS, no <style>
 * selectors it reliably applies, no flexbox, grid or max-width. So: nested
 * presentation tables, inline styles only, widths as attributes (640 px, the
 * usual reading width), bgcolor attributes beside background-color, web-safe
 * font stacks, no images (most clients block them, and a colored table cell
 * draws the severity band without one).
 *
 * Every text is HTML-escaped here. The only link is the portal URL from the
 * settings (https, checked by the config parser); nothing that came from the
 * API becomes an <a>, and the document's texts are already defanged so no
 * client auto-links them either.
 */

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** Band colour and label colour per tone (label colours keep 4.5:1 contrast on white). */
const EMAIL_TONE_COLORS: Record<EmailTone, { band: string; text: string }> = {
  critical: { band: "#C50F1F", text: "#B10E1C" },
  warning: { band: "#F2A900", text: "#8A5300" },
  info: { band: "#0F6CBD", text: "#0F6CBD" },
  good: { band: "#107C10", text: "#0E700E" },
};

const EMAIL_WIDTH_PX = 640;

const FONT = "font-family:'Segoe UI',Helvetica,Arial,sans-serif;";
const MONO = "font-family:Consolas,'Courier New',monospace;";
const TEXT = `${FONT}font-size:14px;line-height:20px;color:#1F2937;`;
const SUBTLE = `${FONT}font-size:13px;line-height:18px;color:#4B5563;`;
/** Long unbroken API text (defanged URLs, ids) must wrap instead of widening the table. */
const WRAP = "word-break:break-word;overflow-wrap:anywhere;";
const CELL = "padding:0 24px;";

function row(content: string, padding = "0 24px 16px 24px"): string {
  return `<tr><td style="padding:${padding};${WRAP}">${content}</td></tr>`;
}

function heading(text: string): string {
  return `<p style="margin:0 0 6px 0;${FONT}font-size:15px;line-height:20px;font-weight:bold;color:#111827;">${escapeHtml(text)}</p>`;
}

function presentationTable(inner: string, style = ""): string {
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;${style}">${inner}</table>`;
}

function blockHtml(block: EmailBlock): string {
  switch (block.type) {
    case "id":
      return row(
        `<p style="margin:0;${SUBTLE}">${escapeHtml(block.label)}</p>` +
          (block.value !== null
            ? `<p style="margin:2px 0 0 0;${MONO}font-size:15px;line-height:20px;font-weight:bold;color:#111827;">${escapeHtml(block.value)}</p>`
            : `<p style="margin:2px 0 0 0;${TEXT}">not reported by the API</p>`),
      );
    case "facts": {
      const rows = block.facts
        .map(
          (fact) =>
            `<tr><td width="120" valign="top" style="padding:4px 12px 4px 0;${SUBTLE}white-space:nowrap;">${escapeHtml(fact.label)}</td>` +
            `<td valign="top" style="padding:4px 0;${TEXT}${WRAP}">${escapeHtml(fact.value)}</td></tr>`,
        )
        .join("");
      return row(presentationTable(rows));
    }
    case "list": {
      const font = block.monospace ? `${MONO}font-size:13px;line-height:20px;color:#1F2937;` : TEXT;
      const items = block.items
        .map(
          (item) =>
            `<tr><td width="16" valign="top" style="padding:3px 0;${TEXT}">&#8226;</td><td valign="top" style="padding:3px 0;${font}${WRAP}">${escapeHtml(item.text)}` +
            (item.detail ? `<br><span style="${SUBTLE}">${escapeHtml(item.detail)}</span>` : "") +
            `</td></tr>`,
        )
        .join("");
      const more = block.more ? `<p style="margin:6px 0 0 0;${SUBTLE}">${escapeHtml(block.more)}</p>` : "";
      return row(`<div style="border-top:1px solid #E5E7EB;padding-top:12px;">${heading(block.heading)}${items ? presentationTable(items) : ""}${more}</div>`);
    }
    case "paragraph": {
      const style = block.emphasis ? `${TEXT}color:${EMAIL_TONE_COLORS.warning.text};font-weight:bold;` : TEXT;
      return row(`<p style="margin:0;${style}">${escapeHtml(block.text)}</p>`);
    }
    case "entries":
      return block.entries.map(entryHtml).join("");
  }
}

function entryHtml(entry: EmailDigestEntry): string {
  const color = EMAIL_TONE_COLORS[entry.tone];
  const inner =
    `<tr><td width="4" bgcolor="${color.band}" style="background-color:${color.band};font-size:0;line-height:0;">&nbsp;</td>` +
    `<td style="padding:6px 0 6px 12px;${WRAP}">` +
    `<p style="margin:0;${FONT}font-size:14px;line-height:20px;font-weight:bold;color:${color.text};">${escapeHtml(entry.label)} &#183; ${escapeHtml(entry.headline)}</p>` +
    `<p style="margin:2px 0 0 0;${SUBTLE}">${escapeHtml(entry.details)}</p></td></tr>`;
  return row(presentationTable(inner), "0 24px 10px 24px");
}

/** The HTML body: a complete document, UTF-8, one centred 640 px column. */
export function renderEmailHtml(doc: EmailDocument): string {
  const color = EMAIL_TONE_COLORS[doc.tone];
  const header =
    `<tr><td height="8" bgcolor="${color.band}" style="background-color:${color.band};height:8px;font-size:0;line-height:0;">&nbsp;</td></tr>` +
    `<tr><td style="padding:20px 24px 16px 24px;${WRAP}">` +
    `<p style="margin:0 0 4px 0;${FONT}font-size:12px;line-height:16px;font-weight:bold;letter-spacing:1px;color:${color.text};">${escapeHtml(doc.label)}</p>` +
    `<h1 style="margin:0;${FONT}font-size:20px;line-height:26px;font-weight:bold;color:#111827;">${escapeHtml(doc.title)}</h1>` +
    `<p style="margin:6px 0 0 0;${SUBTLE}">${escapeHtml(doc.subtitle)}</p></td></tr>`;
  const body = doc.blocks.map(blockHtml).join("\n");
  const button =
    `<tr><td style="${CELL}padding-bottom:24px;"><table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>` +
    `<td bgcolor="#0F6CBD" style="background-color:#0F6CBD;padding:10px 18px;">` +
    `<a href="${escapeHtml(doc.portalUrl)}" style="${FONT}font-size:14px;font-weight:bold;color:#FFFFFF;text-decoration:none;">Open AvePoint Online Services</a>` +
    `</td></tr></table></td></tr>`;
  const footer =
    `<tr><td style="padding:12px 24px 0 24px;${FONT}font-size:12px;line-height:16px;color:#6B7280;">` +
    `Sent by Cloud Backup Alerts for ${escapeHtml(doc.tenant)}. Times are UTC.</td></tr>`;
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(doc.subject)}</title>`,
    "</head>",
    '<body style="margin:0;padding:0;background-color:#F3F4F6;">',
    // The inbox preview line; hidden in the message itself.
    `<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">${escapeHtml(doc.preview)}</div>`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#F3F4F6" style="background-color:#F3F4F6;"><tr><td align="center" style="padding:24px 12px;">`,
    `<table role="presentation" width="${EMAIL_WIDTH_PX}" cellpadding="0" cellspacing="0" border="0" bgcolor="#FFFFFF" style="width:100%;max-width:${EMAIL_WIDTH_PX}px;background-color:#FFFFFF;border:1px solid #D1D5DB;border-collapse:collapse;">`,
    header,
    body,
    button,
    "</table>",
    `<table role="presentation" width="${EMAIL_WIDTH_PX}" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:${EMAIL_WIDTH_PX}px;">${footer}</table>`,
    "</td></tr></table>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
