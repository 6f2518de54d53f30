export * from "./settings.js";
export * from "./load.js";
export * from "./schema.js";
export * from "./problems.js";
export * from "./environment.js";
