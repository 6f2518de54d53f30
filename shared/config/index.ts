export * from "./settings.js";
export * from "./schema.js";
export * from "./problems.js";
export * from "./environment.js";
