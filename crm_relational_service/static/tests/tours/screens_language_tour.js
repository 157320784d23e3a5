import { registry } from "@web/core/registry";

/**
 * The agent's and the customer's helpdesk screens, checked for English left on the screen of
 * an Arabic or Persian user: every visible text (and placeholder) is read, and a word of
 * Latin letters fails the tour unless it is a name, a code, an address or a number of the data
 * (letters with digits, e-mail addresses, web addresses) or in ALLOWED (product names).
 */
const ALLOWED = new Set(["Odoo", "OdooBot"]);
// Parts of the page that show the data itself, not the user interface's words.
const DATA = [
    ".o-mail-Message-body", ".o_field_html", ".o_debug_manager", ".o_field_email",
    ".o_field_phone", "code", "pre", ".o_portal_chatter_message_body",
    // on the screen only while focused from the keyboard (the portal's "Skip to Content")
    ".visually-hidden-focusable",
].join(",");  // prettier-ignore

function visibleTexts(root) {
    const texts = [];
    const walker = document.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        const text = node.textContent.trim();
        if (!text || !element || element.closest(DATA) || element.closest("script,style,title")) {
            continue;
        }
        if (element.checkVisibility({ visibilityProperty: true, opacityProperty: true })) {
            texts.push(text);
        }
    }
    for (const element of root.querySelectorAll("[placeholder]")) {
        if (element.checkVisibility() && !element.closest(DATA)) {
            texts.push(element.getAttribute("placeholder"));
        }
    }
    return texts;
}

export function englishLeft(root = document.body) {
    const found = new Map();
    for (const text of visibleTexts(root)) {
        for (const chunk of text.split(/\s+/)) {
            if (/[\d@]|:\/\/|^www\./.test(chunk)) {
                continue; // numbers, codes, references, addresses
            }
            for (const word of chunk.match(/[A-Za-z][A-Za-z'’]+/g) || []) {
                if (!ALLOWED.has(word)) {
                    found.set(word, text.slice(0, 80));
                }
            }
        }
    }
    return [...found].map(([word, text]) => `${word} (in "${text}")`);
}

// What each screen left in English, reported together by the tour's last step.
const leftovers = [];

function check(screen) {
    const left = englishLeft();
    if (left.length) {
        leftovers.push(`${screen}: ${left.join("; ")}`);
    }
}

const report = {
    trigger: "body",
    content: "No English was left on any screen",
    run() {
        if (leftovers.length) {
            const found = leftovers.splice(0);
            throw new Error(`English left on the screens:\n${found.join("\n")}`);
        }
    },
};

function pause(ms = 400) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function screenshot(name) {
    console.log(`crm_relational_screenshot ${name}`);
    return pause(1000);
}

const SUFFIX = { ar: "arabic", fa: "persian" };

function agentSteps(lang) {
    return [
        {
            trigger: ".o_form_view .o_field_widget[name='team_id']",
            content: "The ticket form",
            async run() {
                // Each tab of the notebook in turn, the first one last (as the form opens).
                const tabs = [...document.querySelectorAll(".o_form_view .o_notebook .nav-link")];
                for (const tab of [...tabs.slice(1), tabs[0]].filter(Boolean)) {
                    tab.click();
                    await pause();
                    check(`ticket form (tab ${tab.getAttribute("name")})`);
                }
                await screenshot(`ticket-form-${SUFFIX[lang]}`);
            },
        },
        {
            trigger: "body",
            content: "The tickets' list",
            run: "goToUrl /odoo/action-helpdesk_mgmt.helpdesk_ticket_action",
            expectUnloadPage: true,
        },
        {
            trigger: ".o_list_view .o_data_row",
            content: "The list of tickets",
            run: () => check("ticket list"),
        },
        {
            trigger: ".o_switch_view.o_kanban",
            content: "The kanban of tickets",
            run: "click",
        },
        {
            trigger: ".o_kanban_view .o_kanban_record",
            content: "Stages and cards",
            run: () => check("ticket kanban"),
        },
        report,
    ];
}

function customerSteps() {
    return [
        {
            trigger: ".o_portal_my_doc_table, table",
            content: "The customer's tickets on the portal",
            run: () => check("portal ticket list"),
        },
        {
            trigger: "table a[href*='/my/ticket/']",
            content: "Open the ticket",
            run: "click",
            expectUnloadPage: true,
        },
        {
            trigger: "#wrap, main",
            content: "The ticket page on the portal",
            async run() {
                await pause(800);
                check("portal ticket page");
            },
        },
        report,
    ];
}

for (const lang of Object.keys(SUFFIX)) {
    registry.category("web_tour.tours").add(`crm_relational_agent_screens_${lang}`, {
        steps: () => agentSteps(lang),
    });
    registry.category("web_tour.tours").add(`crm_relational_customer_screens_${lang}`, {
        steps: customerSteps,
    });
}
