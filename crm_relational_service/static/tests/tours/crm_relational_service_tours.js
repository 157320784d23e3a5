import { registry } from "@web/core/registry";

/** An agent opens the ticket routing gave them, uses a suggested article, and closes it. */
registry.category("web_tour.tours").add("crm_relational_agent_ticket", {
    steps: () => [
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
            trigger: ".o_form_view .o_notebook a[name='relational_knowledge']",
            content: "The suggested articles",
            run: "click",
        },
        {
            trigger:
                ".o_field_widget[name='relational_suggested_article_ids'] .o_data_row:contains('Reset the dimmer') button[name='action_relational_solves_ticket']",
            content: "This article solved it",
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
