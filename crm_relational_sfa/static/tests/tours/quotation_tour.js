import { registry } from "@web/core/registry";
import { user } from "@web/core/user";

const PRODUCTS = ".o_field_widget[name='relational_line_ids']";
const LOOKUP = ".modal .o_crm_relational_stock_lookup";
const ORDER_LINES = ".o_form_view .o_field_widget[name='order_line']";

/**
 * From the opportunity to the quotation: the rep checks the stock of the product the customer
 * asked for from its line on the opportunity, closes the lookup, and creates the quotation,
 * which starts with the opportunity's products.
 */
registry.category("web_tour.tours").add("crm_relational_rep_quotation", {
    steps: () => [
        {
            trigger: ".o_form_view .o_notebook a[name='relational_products']",
            content: "Open the opportunity's products",
            run: "click",
        },
        {
            trigger: `${PRODUCTS} .o_data_row:contains('Tour lamp') button[data-tooltip='Stock Lookup']`,
            content: "Look up the stock of the product asked for",
            run: "click",
        },
        {
            trigger: `${LOOKUP} .o_stock_lookup_detail_name:contains('Tour lamp')`,
            content: "The lookup opens on the line's product",
        },
        {
            trigger: `${LOOKUP} tr.o_stock_lookup_warehouse td.o_stock_lookup_free:contains('7')`,
            content: "Seven are free: enough for the three asked",
        },
        {
            trigger: ".modal .btn-close",
            content: "Back to the opportunity",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_form_view button[name='action_sale_quotations_new']",
            content: "Create the quotation",
            run: "click",
        },
        {
            trigger: `${ORDER_LINES} .o_data_row:contains('Tour lamp') td[name='product_uom_qty']:contains('3')`,
            content: "The quotation starts with the opportunity's product and quantity",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            content: "Save the quotation",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
            content: "Saved",
        },
    ],
});

/**
 * The call sheet on a laptop screen: who, the relationship, the credit and the last
 * conversations at once, without scrolling.
 */
/** The user's language: "-arabic", "-persian", or "" in English. */
function languageSuffix() {
    const lang = user.lang || "";
    return lang.startsWith("ar") ? "-arabic" : lang.startsWith("fa") ? "-persian" : "";
}

function english() {
    return !languageSuffix();
}

registry.category("web_tour.tours").add("crm_relational_call_sheet", {
    steps: () => [
        {
            trigger: ".o_form_view .o-form-buttonbox",
            content: "The smart buttons: the call sheet may be under More",
            run() {
                if (!this.anchor.querySelector("button[name='action_relational_call_sheet']")) {
                    this.anchor.querySelector(".o_button_more").click();
                }
            },
        },
        {
            trigger: "button[name='action_relational_call_sheet']",
            content: "Open the call sheet",
            run: "click",
        },
        {
            trigger: ".o_form_view div[name='relational_glance'] .o_crm_relational_purchase_trend",
            content: "Tier, stage and purchases at a glance",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='relational_clv'] .o_crm_relational_clv_unknown[data-tooltip]",
            content: "An unknown lifetime value says so, with the reason as a tooltip, never 0.00",
            run() {
                const { tooltip } = this.anchor.dataset;
                if (!tooltip.includes("10")) {
                    throw new Error(`No reason in the tooltip: ${tooltip}`);
                }
                if (english() && this.anchor.textContent.trim() !== "Not enough history") {
                    throw new Error(`Unknown shown as "${this.anchor.textContent}"`);
                }
            },
        },
        {
            trigger: ".o_form_view label.o_form_label[for^='relational_credit_exposure']",
            content: "The credit exposure, taxes included as its label says",
            run() {
                if (english() && !this.anchor.textContent.includes("(Tax Incl.)")) {
                    throw new Error(`The exposure does not say it is tax included`);
                }
            },
        },
        {
            trigger: ".o_form_view .o_field_widget[name='relational_credit_exposure']",
            content: "The credit exposure",
        },
        {
            trigger:
                ".o_form_view .o_field_widget[name='relational_recent_interaction_ids'] .o_data_row",
            content: "The last conversations and orders",
            async run() {
                console.log(`crm_relational_screenshot call-sheet${languageSuffix()}`);
                await new Promise((resolve) => setTimeout(resolve, 1000));
                const content = document.querySelector(".o_action_manager .o_content");
                if (content.scrollHeight > content.clientHeight + 1) {
                    // The heights of the sheet's parts, to see which one grew.
                    const parts = [".oe_title", ".o_form_sheet > .o_inner_group, .o_form_sheet > .o_group",
                                   ".o_notebook_headers", ".o_notebook .tab-pane.active"];  // prettier-ignore
                    const heights = parts.map((selector) => {
                        const element = content.querySelector(selector);
                        return `${selector}: ${element ? element.offsetHeight : "-"}px`;
                    });
                    throw new Error(
                        `The call sheet scrolls: ${content.scrollHeight}px in ${content.clientHeight}px (${heights.join(", ")})`
                    );
                }
            },
        },
    ],
});
