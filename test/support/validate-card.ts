import { createRequire } from "node:module";

/**
 * Validates a card with the official `adaptivecards` package, as the target
 * host (Adaptive Cards 1.4, Teams Workflows) would parse it.
 *
 * Loading: the package's `lib/` build is ES modules with extensionless
 * imports, which Node cannot load; its `dist/` UMD bundle is the same code
 * and loads with `require`. Parsing and property validation need no DOM
 * (rendering would), so no jsdom window is set up.
 */

type AdaptiveCardsModule = typeof import("adaptivecards");

const require = createRequire(import.meta.url);
let loaded: AdaptiveCardsModule | undefined;

function adaptiveCards(): AdaptiveCardsModule {
  loaded ??= require("adaptivecards/dist/adaptivecards.js") as AdaptiveCardsModule;
  return loaded;
}

export const TARGET_CARD_VERSION = "1.4";

export interface CardValidation {
  errors: string[];
  warnings: string[];
}

/** Events that only advise (the card still renders as written) are warnings; all others are errors. */
const WARNING_EVENTS = new Set(["Hint", "Deprecated", "UnsupportedProperty", "RequiredInputsShouldHaveLabel", "RequiredInputsShouldHaveErrorMessage"]);

/**
 * Checks the package does not do: the version this project must target, and
 * that every TextBlock and Fact carries a non-empty string (the package
 * accepts a TextBlock without text, which Teams shows as an empty gap).
 */
function projectChecks(card: Record<string, unknown>, errors: string[], target: string): void {
  if (card["type"] !== "AdaptiveCard") errors.push(`type must be "AdaptiveCard", got ${JSON.stringify(card["type"])}`);
  if (card["version"] !== target) {
    errors.push(`version must be "${target}" (Teams Workflows does not render later versions than 1.4; the bot's cards are 1.5), got ${JSON.stringify(card["version"])}`);
  }
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    if (node === null || typeof node !== "object") return;
    const element = node as Record<string, unknown>;
    if (element["type"] === "TextBlock" && (typeof element["text"] !== "string" || element["text"].trim() === "")) {
      errors.push(`${path}: TextBlock without text`);
    }
    if (element["type"] === "FactSet") {
      const facts = Array.isArray(element["facts"]) ? (element["facts"] as unknown[]) : [];
      facts.forEach((fact, i) => {
        const f = (fact ?? {}) as Record<string, unknown>;
        if (typeof f["title"] !== "string" || typeof f["value"] !== "string" || f["value"] === "") {
          errors.push(`${path}.facts[${i}]: a fact needs a string title and a non-empty string value`);
        }
      });
    }
    for (const [key, value] of Object.entries(element)) walk(value, `${path}.${key}`);
  };
  walk(card["body"], "body");
}

/** `targetVersion`: "1.4" (Workflows, the default) or "1.5" (the Teams bot's cards with Action.Execute). */
export function validateAdaptiveCard(card: object, options: { targetVersion?: "1.4" | "1.5" } = {}): CardValidation {
  const target = options.targetVersion ?? TARGET_CARD_VERSION;
  const [major, minor] = target.split(".").map(Number) as [number, number];
  const AC = adaptiveCards();
  const errors: string[] = [];
  const warnings: string[] = [];
  const report = (event: number, message: string, where: string): void => {
    const name = AC.ValidationEvent[event] ?? `event ${event}`;
    (WARNING_EVENTS.has(name) ? warnings : errors).push(`${where} ${name}: ${message}`);
  };

  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(new AC.Version(major, minor));
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    report(event.event, event.message, "parse");
  }
  for (const event of parsed.validateProperties().validationEvents) {
    report(event.event, event.message, `validate ${event.source instanceof AC.CardObject ? event.source.getJsonTypeName() : ""}`.trimEnd());
  }
  projectChecks(card as Record<string, unknown>, errors, target);
  return { errors, warnings };
}
