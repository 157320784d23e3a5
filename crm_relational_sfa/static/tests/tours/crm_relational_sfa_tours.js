import { registry } from "@web/core/registry";

/**
 * A rep on the phone: opens the customer, reads the relationship tab, looks up stock for the
 * quantity asked, and sees per warehouse what is free and when it can be promised.
 */
registry.category("web_tour.tours").add("crm_relational_rep_call", {
    steps: () => [
        {
            trigger: ".o_form_view .o_notebook a[name='crm_relational']",
            content: "Open the customer's Relationship tab",
            run: "click",
        },
        {
            trigger: ".o_notebook .o_field_widget[name='relational_value_tier']",
            content: "The value tier is shown",
        },
        {
            trigger: ".o_notebook .o_field_widget[name='relational_stage']:contains('Growing')",
            content: "The relationship stage is shown",
        },
    ],
});

/** The same in Arabic: the web client right to left, the relationship in Arabic. */
registry.category("web_tour.tours").add("crm_relational_rep_call_arabic", {
    steps: () => [
        {
            trigger: "body.o_rtl .o_form_view",
            content: "The web client is right to left",
        },
        {
            trigger: ".o_form_view .o_notebook a[name='crm_relational']:contains('العلاقة')",
            content: "The Relationship tab, in Arabic",
            run: "click",
        },
        {
            trigger: ".o_notebook .o_field_widget[name='relational_value_tier']",
            content: "The value tier is shown",
        },
        {
            trigger: ".o_notebook .o_field_widget[name='relational_stage']:not(:contains('Growing'))",
            content: "The relationship stage, translated",
        },
    ],
});

/** During the call: the stock lookup, per warehouse, for the quantity asked. */
registry.category("web_tour.tours").add("crm_relational_stock_lookup", {
    steps: () => [
        {
            trigger: ".modal .o_field_widget[name='query'] input",
            content: "Type the product",
            run: "edit TOUR-LAMP",
        },
        {
            trigger: ".modal .o_field_widget[name='quantity'] input",
            content: "The quantity asked",
            run: "edit 3",
        },
        {
            trigger: ".modal .o_field_widget[name='line_ids'] .o_data_row:contains('Tour lamp')",
            content: "Availability per warehouse",
        },
        {
            trigger: ".modal .o_field_widget[name='line_ids'] .o_data_row td[name='free']:contains('7')",
            content: "Seven are free",
        },
        {
            trigger: ".modal-footer button:contains('Close')",
            content: "Close the lookup: nothing to save",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

/** A manager reads the sales forecast: the period lines with their interval and targets. */
registry.category("web_tour.tours").add("crm_relational_manager_forecast", {
    steps: () => [
        {
            trigger: ".o_list_view .o_group_header:first",
            content: "Open the current period",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row td[name='level']:contains('Company')",
            content: "The company line of the forecast",
        },
        {
            trigger: ".o_list_view th[data-name='p50']",
            content: "The P50 column",
        },
        {
            trigger: ".o_list_view .o_data_row td[name='p50']",
            content: "A P50 figure",
        },
    ],
});
