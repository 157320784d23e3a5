import { registry } from "@web/core/registry";

/**
 * The customer's purchase trend, drawn oldest to newest in the reading direction: the oldest
 * month on the left, or on the right when the web client reads right to left. Each bar's
 * tooltip names its month and amount; `check` tests the tooltip of some month.
 */
function checkPurchaseTrend(anchor, { rtl, check }) {
    const months = [...anchor.querySelectorAll(".o_crm_relational_trend_month")];
    if (months.length !== 12) {
        throw new Error(`12 months expected in the purchase trend, got ${months.length}`);
    }
    const x = (month) => Number(month.querySelector("rect").getAttribute("x"));
    if (x(months[0]) < x(months[11]) === rtl) {
        throw new Error(`The purchase trend should read ${rtl ? "right to left" : "left to right"}`);
    }
    const titles = months.map((month) => month.querySelector("title").textContent);
    if (!titles.some(check)) {
        throw new Error(`No month of the purchase trend has the expected tooltip: ${titles}`);
    }
}

/** Asks the test (tests/test_tours.py) for a screenshot of the page, for the README. */
function screenshot(name) {
    console.log(`crm_relational_screenshot ${name}`);
    return new Promise((resolve) => setTimeout(resolve, 1000));
}

/**
 * A rep on the phone: opens the customer, sees the relationship at a glance (tier, stage,
 * health and the purchases of the last twelve months) and reads the relationship tab.
 */
registry.category("web_tour.tours").add("crm_relational_rep_call", {
    steps: () => [
        {
            trigger: "div[name='relational_glance'] .o_field_widget[name='relational_value_tier'] .text-bg-success:contains('A')",
            content: "The value tier, at a glance",
        },
        {
            trigger: "div[name='relational_glance'] span[name='relational_health_badge'].text-bg-success:contains('80')",
            content: "A healthy relationship, in green",
        },
        {
            trigger: "div[name='relational_glance'] .o_crm_relational_purchase_trend[data-direction='up'] svg",
            content: "The purchases of the last twelve months, rising, oldest on the left",
            run({ anchor }) {
                checkPurchaseTrend(anchor, {
                    rtl: false,
                    check: (title) => title.includes("1,000.00"),
                });
            },
        },
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
        {
            trigger: ".o_notebook .o_field_widget[name='relational_purchase_trend'] svg",
            content: "The purchase trend, larger, in the tab",
            run: () => screenshot("relationship-english"),
        },
    ],
});

/**
 * The same in Arabic with Odoo's own Arabic terms: the web client right to left (its RTL
 * stylesheet in effect), Odoo's labels and the relationship in Arabic, the trend right to left.
 */
registry.category("web_tour.tours").add("crm_relational_rep_call_arabic", {
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
            trigger: ".o_form_view .o_notebook a[name='sales_purchases']:contains('المبيعات والمشتريات')",
            content: "Odoo's own terms in Arabic: the Sales & Purchase tab",
        },
        {
            trigger: ".o_form_view .o_notebook a[name='contact_addresses']:contains('جهات الاتصال')",
            content: "Odoo's own terms in Arabic: the Contacts tab",
        },
        {
            trigger: "div[name='relational_glance'] .o_field_widget[name='relational_value_tier'] .text-bg-success",
            content: "The value tier, at a glance",
        },
        {
            trigger: "div[name='relational_glance'] span[name='relational_health_badge'].text-bg-success",
            content: "The health badge, in green",
        },
        {
            trigger: "div[name='relational_glance'] .o_crm_relational_purchase_trend[data-direction='up'] svg",
            content: "The purchase trend reads right to left, its tooltips in Arabic",
            run({ anchor }) {
                checkPurchaseTrend(anchor, {
                    rtl: true,
                    check: (title) => /[\u0600-\u06FF]/.test(title),
                });
            },
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
        {
            trigger: ".o_notebook .o_field_widget[name='relational_purchase_trend'] svg",
            content: "The purchase trend, larger, in the tab",
            run: () => screenshot("relationship-arabic"),
        },
    ],
});

/**
 * A manager reads the sales forecast: the period lines with their interval and targets, how
 * each moved since last week's snapshot, and the same as a pivot.
 */
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
        {
            trigger: ".o_list_view th[data-name='p50_change']",
            content: "The change of the P50 since last week",
        },
        {
            trigger:
                ".o_list_view .o_data_row td[name='movement'] .badge:not(:contains('No Snapshot'))",
            content: "Each line says where it went since last week's snapshot",
        },
        {
            trigger: ".o_switch_view.o_pivot",
            content: "The same forecast as a pivot",
            run: "click",
        },
        {
            trigger: ".o_pivot .o_pivot_measure_row:contains('P50 Change')",
            content: "The movement is one of the measures",
        },
    ],
});
