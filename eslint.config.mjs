// ESLint for the addons' JavaScript (OWL components and tours): ES modules run by the browser.
// Self-contained (no imports), so `make lint` runs it from .local without a node_modules here;
// the rules are eslint:recommended's checks for real mistakes, not a formatting style.
const browserGlobals = [
    "window", "document", "console", "navigator", "location", "history", "setTimeout",
    "clearTimeout", "setInterval", "clearInterval", "requestAnimationFrame", "fetch", "URL",
    "URLSearchParams", "Event", "CustomEvent", "KeyboardEvent", "MouseEvent", "HTMLElement",
    "Element", "Node", "getComputedStyle", "localStorage", "sessionStorage", "Intl", "odoo",
];

export default [
    {
        files: ["crm_relational*/static/**/*.js"],
        languageOptions: {
            ecmaVersion: 2024,
            sourceType: "module",
            globals: Object.fromEntries(browserGlobals.map((name) => [name, "readonly"])),
        },
        rules: {
            "constructor-super": "error",
            "for-direction": "error",
            "getter-return": "error",
            "no-async-promise-executor": "error",
            "no-class-assign": "error",
            "no-compare-neg-zero": "error",
            "no-cond-assign": "error",
            "no-const-assign": "error",
            "no-constant-condition": ["error", { checkLoops: false }],
            "no-debugger": "error",
            "no-dupe-args": "error",
            "no-dupe-class-members": "error",
            "no-dupe-else-if": "error",
            "no-dupe-keys": "error",
            "no-duplicate-case": "error",
            "no-duplicate-imports": "error",
            "no-empty-pattern": "error",
            "no-func-assign": "error",
            "no-import-assign": "error",
            "no-self-assign": "error",
            "no-self-compare": "error",
            "no-undef": "error",
            "no-unreachable": "error",
            "no-unsafe-finally": "error",
            "no-unsafe-negation": "error",
            "no-unused-vars": ["error", { args: "none" }],
            "no-use-before-define": ["error", { functions: false, classes: false }],
            "use-isnan": "error",
            "valid-typeof": "error",
            "no-var": "error",
            "prefer-const": "error",
            eqeqeq: ["error", "smart"],
        },
    },
];
