/**
 * How the local tools show a Teams message in a browser: the official
 * Adaptive Cards renderer, a host config and markdown close to what Teams
 * does, and the styles around a card. The local inbox (`npm start`) and the
 * preview gallery (`npm run preview`) both load this, so a card looks the
 * same in both and in the README's screenshots.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

/** The official renderer's browser bundle (UMD, defines `AdaptiveCards`), relative to the package. */
export const ADAPTIVE_CARDS_BUNDLE = "adaptivecards/dist/adaptivecards.min.js";

/** The `adaptivecards` package (a devDependency) is not installed where this runs. */
export class AdaptiveCardsMissingError extends Error {
  override readonly name = "AdaptiveCardsMissingError";
  constructor() {
    super("the adaptivecards package is not installed here: run `npm install` in the project folder to see rendered cards");
  }
}

/** Absolute path of the renderer bundle in node_modules. */
export function adaptiveCardsBundlePath(): string {
  try {
    return createRequire(import.meta.url).resolve(ADAPTIVE_CARDS_BUNDLE);
  } catch {
    throw new AdaptiveCardsMissingError();
  }
}

let bundleSource: Promise<string> | undefined;

/** The renderer bundle's text, read once. */
export async function readAdaptiveCardsBundle(): Promise<string> {
  try {
    bundleSource ??= readFile(adaptiveCardsBundlePath(), "utf8");
    return await bundleSource;
  } catch (error) {
    bundleSource = undefined;
    throw error instanceof AdaptiveCardsMissingError ? error : new AdaptiveCardsMissingError();
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Teams uses Segoe UI; elsewhere an Arial-metric font (Liberation Sans on
 * Linux, which scripts/install-chromium.sh installs) wraps text about the
 * same, so screenshots look like Teams.
 */
export const CARD_FONT_FAMILY = `"Segoe UI", -apple-system, "Helvetica Neue", Arial, "Liberation Sans", system-ui, sans-serif`;

/** Styles of a message, a card and its buttons, roughly Teams' light theme. */
export const CARD_VIEW_STYLE = `
  body { margin: 0; background: #f5f5f5; color: #242424; font: 14px/1.4 ${CARD_FONT_FAMILY}; }
  code { font: 12px Consolas, monospace; background: #fff; padding: 1px 4px; border-radius: 3px; }
  .message { width: 500px; max-width: 100%; }
  .message header { display: flex; gap: 8px; align-items: baseline; margin: 0 0 4px 2px; }
  .message time { color: #616161; font-size: 12px; }
  .message .summary { font-weight: 600; }
  .card { background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.14), 0 0 2px rgba(0,0,0,.12); overflow: hidden; }
  .card pre { margin: 0; padding: 12px; white-space: pre-wrap; word-break: break-word; font: 12px Consolas, monospace; }
  .ac-pushButton { background: #fff; color: #242424; border: 1px solid #d1d1d1; border-radius: 4px; padding: 5px 12px; font: 600 14px ${CARD_FONT_FAMILY}; cursor: pointer; }
  .ac-pushButton:hover { background: #f5f5f5; }
  .ac-pushButton.expanded { background: #ebebeb; }
  a { color: #5b5fc7; }
`;

/**
 * Runs in the browser after the renderer bundle; defines `TeamsCardView`:
 * `cardsOf(payload)`, `summaryOf(payload, cards)` and
 * `renderPayload(payload, into)` (every card of a Workflows payload, or the
 * raw JSON when there is none or one fails to render).
 *
 * Everything from a payload reaches the page through textContent or the
 * Adaptive Cards renderer; the only HTML it builds is the markdown below,
 * made from text that was escaped first.
 */
export const CARD_VIEW_SCRIPT = String.raw`"use strict";
(function () {
  var ready = typeof AdaptiveCards !== "undefined";

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }

  // The markdown subset Teams renders in TextBlocks: **bold**, *italic* or _italic_, [links](https://...),
  // line breaks, and CommonMark backslash escapes (the card renderer escapes API text that way).
  function markdown(text) {
    var literals = [];
    var marked = String(text).replace(/\u0000/g, "").replace(/\\([!-\/:-@\[-\`{-~])/g, function (_m, ch) {
      literals.push(ch);
      return "\u0000" + (literals.length - 1) + "\u0000";
    });
    var html = escapeHtml(marked)
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^*\w])\*([^*\s][^*]*?)\*(?![*\w])/g, "$1<em>$2</em>")
      .replace(/(^|\W)_(.+?)_(?=\W|$)/g, "$1<em>$2</em>")
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
      .replace(/\n/g, "<br>")
      .replace(/\u0000(\d+)\u0000/g, function (_m, i) { return escapeHtml(literals[Number(i)] || ""); });
    return { didProcess: true, outputHtml: html };
  }

  // Text colours are per container style; a style without them falls back to the renderer's own
  // (lighter) defaults, so every style repeats Teams' light-theme colours.
  var foregroundColors = {
    default: { default: "#242424", subtle: "#616161" }, accent: { default: "#5B5FC7", subtle: "#5B5FC7" },
    good: { default: "#0E700E", subtle: "#0E700E" }, warning: { default: "#835B00", subtle: "#835B00" },
    attention: { default: "#C4314B", subtle: "#C4314B" }
  };

  var hostConfig = ready ? new AdaptiveCards.HostConfig({
    fontFamily: ${JSON.stringify(CARD_FONT_FAMILY)},
    supportsInteractivity: true,
    spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
    separator: { lineThickness: 1, lineColor: "#E0E0E0" },
    fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
    fontWeights: { lighter: 300, default: 400, bolder: 600 },
    containerStyles: {
      default: { backgroundColor: "#FFFFFF", foregroundColors: foregroundColors },
      emphasis: { backgroundColor: "#F5F5F5", foregroundColors: foregroundColors },
      good: { backgroundColor: "#E7F2DA", foregroundColors: foregroundColors },
      warning: { backgroundColor: "#FBF6D9", foregroundColors: foregroundColors },
      attention: { backgroundColor: "#FCF4F6", foregroundColors: foregroundColors }
    },
    actions: { maxActions: 6, spacing: "default", buttonSpacing: 8, actionsOrientation: "horizontal", actionAlignment: "left",
      showCard: { actionMode: "inline", inlineTopMargin: 8 } },
    imageSizes: { small: 32, medium: 52, large: 100 }
  }) : undefined;
  if (ready) AdaptiveCards.AdaptiveCard.onProcessMarkdown = function (text, result) {
    var out = markdown(text); result.didProcess = out.didProcess; result.outputHtml = out.outputHtml;
  };

  function cardsOf(payload) {
    if (payload && payload.type === "AdaptiveCard") return [payload];
    var attachments = payload && Array.isArray(payload.attachments) ? payload.attachments : [];
    return attachments
      .filter(function (a) { return a && a.contentType === "application/vnd.microsoft.card.adaptive" && a.content; })
      .map(function (a) { return a.content; });
  }

  function firstText(elements) {
    if (!Array.isArray(elements)) return undefined;
    for (var i = 0; i < elements.length; i++) {
      var e = elements[i] || {};
      if (e.type === "TextBlock" && typeof e.text === "string") return e.text;
      var inner = firstText(e.items) || firstText(e.columns);
      if (inner) return inner;
    }
    return undefined;
  }

  function summaryOf(payload, cards) {
    if (payload && typeof payload.summary === "string") return payload.summary;
    for (var i = 0; i < cards.length; i++) {
      if (typeof cards[i].fallbackText === "string") return cards[i].fallbackText;
      var text = firstText(cards[i].body);
      if (text) return text.replace(/\*\*|__/g, "");
    }
    return "(no summary)";
  }

  function openUrl(action) {
    if (action instanceof AdaptiveCards.OpenUrlAction && /^https?:\/\//i.test(action.url || "")) {
      window.open(action.url, "_blank", "noopener,noreferrer");
    }
  }

  function renderCard(card, into) {
    if (!ready) throw new Error("the Adaptive Cards renderer did not load");
    var adaptiveCard = new AdaptiveCards.AdaptiveCard();
    adaptiveCard.hostConfig = hostConfig;
    adaptiveCard.onExecuteAction = openUrl;
    adaptiveCard.parse(card);
    var element = adaptiveCard.render();
    if (!element) throw new Error("the renderer produced nothing for this card");
    into.appendChild(element);
  }

  function rawJson(payload, into, note) {
    var pre = document.createElement("pre");
    pre.textContent = (note ? note + "\n\n" : "") + JSON.stringify(payload, null, 2);
    into.appendChild(pre);
  }

  function renderPayload(payload, into) {
    var cards = cardsOf(payload);
    if (cards.length === 0) rawJson(payload, into, "Not an Adaptive Card message:");
    cards.forEach(function (card) {
      try { renderCard(card, into); } catch (error) { rawJson(card, into, "Could not render this card: " + error.message); }
    });
    return cards;
  }

  window.TeamsCardView = { ready: ready, cardsOf: cardsOf, summaryOf: summaryOf, renderPayload: renderPayload };
})();
`;
