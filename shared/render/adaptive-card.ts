/**
 * The subset of Adaptive Card 1.4 this project renders, as plain data. Teams
 * Workflows' "post card" action does not render 1.5, so nothing here may need
 * more than 1.4 (no `style: "heading"`, no Table).
 */

const CARD_VERSION = "1.4";
const CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json";

type TextColor = "default" | "dark" | "light" | "accent" | "good" | "warning" | "attention";
type ContainerStyle = "default" | "emphasis" | "good" | "attention" | "warning" | "accent";
type Spacing = "none" | "small" | "default" | "medium" | "large" | "extraLarge" | "padding";

export interface TextBlock {
  type: "TextBlock";
  text: string;
  wrap: true;
  size?: "small" | "default" | "medium" | "large" | "extraLarge";
  weight?: "lighter" | "default" | "bolder";
  color?: TextColor;
  isSubtle?: boolean;
  fontType?: "default" | "monospace";
  spacing?: Spacing;
  separator?: boolean;
}

export interface Fact {
  title: string;
  value: string;
}

interface FactSet {
  type: "FactSet";
  facts: Fact[];
  spacing?: Spacing;
}

export interface Container {
  type: "Container";
  items: CardElement[];
  style?: ContainerStyle;
  bleed?: boolean;
  spacing?: Spacing;
  separator?: boolean;
}

export type CardElement = TextBlock | FactSet | Container;

export interface OpenUrlAction {
  type: "Action.OpenUrl";
  title: string;
  url: string;
}

export interface AdaptiveCard {
  type: "AdaptiveCard";
  $schema: typeof CARD_SCHEMA;
  version: typeof CARD_VERSION;
  /** Plain one-line description for hosts and previews that cannot show the card. */
  fallbackText: string;
  body: CardElement[];
  actions: OpenUrlAction[];
  msteams: { width: "Full"; entities?: MentionEntity[] };
}

/** A Teams @mention in a card: `text` appears verbatim in a TextBlock; `mentioned.id` may be a UPN or an Entra object id. */
export interface MentionEntity {
  type: "mention";
  text: string;
  mentioned: { id: string; name: string };
}

/** Tone of a whole card: drives the header container style and title color. */
export type CardTone = "attention" | "warning" | "good" | "default";

export function textBlock(text: string, options: Omit<TextBlock, "type" | "text" | "wrap"> = {}): TextBlock {
  return { type: "TextBlock", text, wrap: true, ...options };
}

/**
 * Labels keep to one line: Teams (and the official renderer) shrink the label
 * column to its longest word when a value is long, which breaks "Last error"
 * over two lines. No-break spaces make a label one word.
 */
export function factSet(facts: Fact[], options: Omit<FactSet, "type" | "facts"> = {}): FactSet {
  return { type: "FactSet", facts: facts.map((f) => ({ ...f, title: f.title.replaceAll(" ", "\u00A0") })), ...options };
}

/**
 * A colored, full-width band with the title: the container style carries the
 * severity where the host supports styles, the title color where it does not.
 */
export function headerBand(tone: CardTone, title: string, subtitle: string): Container {
  const titleColor: TextColor | undefined = tone === "default" ? undefined : tone;
  return {
    type: "Container",
    style: tone === "default" ? "emphasis" : tone,
    bleed: true,
    items: [
      textBlock(title, { size: "large", weight: "bolder", ...(titleColor ? { color: titleColor } : {}) }),
      textBlock(subtitle, { isSubtle: true, spacing: "none" }),
    ],
  };
}

export function adaptiveCard(parts: { fallbackText: string; body: CardElement[]; portalUrl: string }): AdaptiveCard {
  return {
    type: "AdaptiveCard",
    $schema: CARD_SCHEMA,
    version: CARD_VERSION,
    fallbackText: parts.fallbackText,
    body: parts.body,
    actions: [{ type: "Action.OpenUrl", title: "Open AvePoint Online Services", url: parts.portalUrl }],
    msteams: { width: "Full" },
  };
}

/** UTF-8 size of a value as it goes on the wire (compact JSON). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/**
 * How much untrusted detail a card carries. A card that would pass the
 * Workflows size budget is rendered with `FULL_DETAIL`; larger ones step down
 * through `SHRINK_STEPS` until they fit (see workflows.ts). Every step still
 * says how much was left out, so nothing disappears silently.
 */
export interface CardDetail {
  /** Job errors listed individually (the rest are counted). */
  maxErrors: number;
  /** Characters of one API text (error message, raw state, URL). */
  maxTextChars: number;
  /** Characters of one job id. */
  maxIdChars: number;
  /** Job ids listed on a recovery card (the rest are counted). */
  maxListedIds: number;
}

export const FULL_DETAIL: CardDetail = { maxErrors: 5, maxTextChars: 500, maxIdChars: 200, maxListedIds: 20 };

export const SHRINK_STEPS: readonly CardDetail[] = [
  FULL_DETAIL,
  { maxErrors: 3, maxTextChars: 200, maxIdChars: 200, maxListedIds: 10 },
  { maxErrors: 1, maxTextChars: 120, maxIdChars: 120, maxListedIds: 5 },
  { maxErrors: 0, maxTextChars: 80, maxIdChars: 64, maxListedIds: 3 },
];
