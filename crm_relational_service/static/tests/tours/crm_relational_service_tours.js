import { registry } from "@web/core/registry";

/** An agent opens the ticket routing gave them, answers with the article suggested beside the
 * description, and closes it. */
registry.category("web_tour.tours").add("crm_relational_agent_ticket", {
    steps: () => [
        {
            trigger:
                ".o_relational_description_row .o_relational_kb_suggestion:contains('Reset the dimmer')",
            content: "The agent's ticket as it opens, for the README",
            run() {
                console.log("crm_relational_screenshot ticket-english");
                return new Promise((resolve) => setTimeout(resolve, 1000));
            },
        },
        {
            trigger: ".o_form_view .o_notebook a[name='relational_routing']",
            content: "Why the ticket came to me",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='relational_routing_note']:contains('Routed to')",
            content: "Routed by skills and load",
        },
        {
            trigger: ".o_form_view .o_notebook a[name='description']",
            content: "Back to the description",
            run: "click",
        },
        {
            trigger:
                ".o_relational_description_row .o_relational_kb_suggestion:contains('Reset the dimmer') mark:contains('dimmer')",
            content: "The matching article, beside the description, its words highlighted",
        },
        {
            trigger:
                ".o_relational_description_row .o_relational_kb_suggestion:contains('Reset the dimmer') button.o_relational_kb_use",
            content: "Answer with it",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='body']:contains('Hold the button ten seconds')",
            content: "The reply starts from the article's answer",
        },
        {
            trigger: ".modal .modal-footer button[name='action_send_mail']",
            content: "Send the reply",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
            content: "The composer is closed",
        },
        {
            trigger: ".o-mail-Message:contains('Hold the button ten seconds')",
            content: "The answer is in the chatter",
        },
        {
            trigger: ".o_form_view .o_notebook a[name='relational_knowledge']",
            content: "The article is recorded on the ticket",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='relational_solution_article_id'] input:value('Reset the dimmer')",
            content: "The solution is linked",
        },
        {
            trigger: ".o_statusbar_status button.dropdown-toggle",
            content: "The later stages",
            run: "click",
        },
        {
            trigger: ".dropdown-menu .dropdown-item:contains('Done')",
            content: "Close the ticket",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Done')",
            content: "The ticket is done",
        },
        {
            trigger: ".o_form_view .o_form_saved",
            content: "Saved",
        },
    ],
});

/** A customer opens their ticket on the portal and reads the FAQ. */
registry.category("web_tour.tours").add("crm_relational_portal_ticket", {
    steps: () => [
        {
            trigger: "a:contains('Flickering dimmer')",
            content: "My ticket in the list",
            run: "click",
            expectUnloadPage: true,
        },
        {
            trigger: "body:contains('The dimmer is flickering since yesterday')",
            content: "The ticket page",
        },
        {
            trigger: "body",
            content: "Go to the FAQ",
            run: "goToUrl /my/faq",
            expectUnloadPage: true,
        },
        {
            trigger: "a:contains('Reset the dimmer')",
            content: "The public article",
            run: "click",
            expectUnloadPage: true,
        },
        {
            trigger: "body:contains('Hold the button ten seconds')",
            content: "Its answer",
        },
    ],
});

/**
 * The agent in Arabic: the web client right to left, the Arabic article suggested beside the
 * Arabic description, on its left (the columns mirrored), its matched words highlighted.
 */
registry.category("web_tour.tours").add("crm_relational_agent_ticket_arabic", {
    steps: () => [
        {
            trigger: "body.o_rtl .o_form_view",
            content: "The web client is right to left",
            run() {
                const direction = getComputedStyle(document.body).direction;
                if (direction !== "rtl") {
                    throw new Error(`The RTL stylesheet is not in effect (direction: ${direction})`);
                }
            },
        },
        {
            trigger: ".o_form_view .o_notebook a[name='description']",
            content: "The description",
            run: "click",
        },
        {
            trigger:
                ".o_relational_description_row .o_relational_kb_suggestion:contains('وميض المصباح') mark",
            content: "The Arabic article, its matched words highlighted",
        },
        {
            trigger: ".o_relational_description_row .o_relational_kb_suggestions",
            content: "The suggestions sit on the left of the description, right to left",
            run() {
                const row = this.anchor.closest(".o_relational_description_row");
                const description = row.querySelector(".o_field_widget[name='description']");
                const panel = this.anchor.getBoundingClientRect();
                if (panel.right > description.getBoundingClientRect().left + 1) {
                    throw new Error("The suggestions are not on the left of the description");
                }
                console.log("crm_relational_screenshot ticket-arabic");
            },
        },
    ],
});
