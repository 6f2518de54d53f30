export * from "./settings.js";
export * from "./load.js";
export * from "./catalog.js";
export * from "./environment.js";
