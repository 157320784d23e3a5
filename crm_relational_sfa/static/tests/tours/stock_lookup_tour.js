import { deserializeDate, formatDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";

const LOOKUP = ".o_crm_relational_stock_lookup";
const QUERY = `${LOOKUP} input.o_stock_lookup_query`;
const QUANTITY = `${LOOKUP} input.o_stock_lookup_quantity`;
const SELECTED = `${LOOKUP} .o_stock_lookup_detail`;

/** The day in the element's data-date, in the user's date format: what the user must read. */
function checkFormattedDay(element) {
    const expected = formatDate(deserializeDate(element.dataset.date));
    if (element.textContent.trim() !== expected) {
        throw new Error(`Expected the day ${expected}, read "${element.textContent.trim()}"`);
    }
}

/**
 * During the call: the stock lookup as you type. The rep types a reference, sees the lamp's
 * stock per warehouse and the day three can be promised, moves to the lamp shade with the
 * keyboard, reads its coming receipt and the lamp offered instead, then clears the search.
 */
registry.category("web_tour.tours").add("crm_relational_stock_lookup", {
    steps: () => [
        {
            trigger: `${LOOKUP} .o_stock_lookup_empty:contains('Type a product name, reference or barcode')`,
            content: "Nothing typed yet: the lookup says what to type",
        },
        {
            trigger: `${QUERY}:focus`,
            content: "The search box has the focus: type the product",
            run: "edit TOUR-LAMP",
        },
        {
            trigger: `${LOOKUP} .o_stock_lookup_product.o_selected:contains('Tour lamp'):not(:contains('shade'))`,
            content: "The products found as you type; the first one is selected",
        },
        {
            trigger: `${LOOKUP} .o_stock_lookup_product:contains('Tour lamp shade')`,
            content: "The lamp shade is found too",
        },
        {
            trigger: QUANTITY,
            content: "The quantity asked",
            run: "edit 3",
        },
        {
            trigger: `${SELECTED} .o_stock_lookup_summary:contains('3 Units')`,
            content: "Looked up again for three",
        },
        {
            trigger: `${SELECTED} tr.o_stock_lookup_warehouse .o_stock_lookup_warehouse_name`,
            content: "Availability per warehouse",
        },
        {
            trigger: `${SELECTED} tr.o_stock_lookup_warehouse td.o_stock_lookup_free:contains('7')`,
            content: "Seven are free",
        },
        {
            trigger: `${SELECTED} tr.o_stock_lookup_warehouse td.o_stock_lookup_promise .badge.text-bg-success:contains('Today')`,
            content: "Three can be promised today",
            run() {
                // The screenshot of the README, taken by the test (tests/test_tours.py).
                console.log("crm_relational_screenshot stock-lookup");
                return new Promise((resolve) => setTimeout(resolve, 1000));
            },
        },
        {
            trigger: QUERY,
            content: "Back to the search box",
            run: "click",
        },
        {
            trigger: `${QUERY}:focus`,
            content: "Move down to the lamp shade",
            run: "press ArrowDown",
        },
        {
            trigger: `${LOOKUP} .o_stock_lookup_product.o_active:contains('Tour lamp shade')`,
            content: "The lamp shade is highlighted, the lamp still shown",
        },
        {
            trigger: `${SELECTED} .o_stock_lookup_detail_name:not(:contains('shade'))`,
            content: "Enter selects it",
            run: "press Enter",
        },
        {
            trigger: `${SELECTED} .o_stock_lookup_detail_name:contains('Tour lamp shade')`,
            content: "The lamp shade is shown",
        },
        {
            trigger: `${QUANTITY}:focus`,
            content: "The quantity input has the focus for the next key strokes",
        },
        {
            trigger: `${SELECTED} tr.o_stock_lookup_warehouse td.o_stock_lookup_free:contains('0')`,
            content: "None free",
        },
        {
            trigger: `${SELECTED} tr.o_stock_lookup_warehouse .o_stock_lookup_receipt_date[data-date]`,
            content: "The next receipt, in the user's date format",
            run() {
                checkFormattedDay(this.anchor);
            },
        },
        {
            trigger: `${SELECTED} tr.o_stock_lookup_warehouse .o_stock_lookup_receipt_quantity:contains('10')`,
            content: "Ten are coming",
        },
        {
            trigger: `${SELECTED} tr.o_stock_lookup_warehouse td.o_stock_lookup_promise .badge.text-bg-warning[data-date]`,
            content: "Three can be promised when they arrive",
            run() {
                checkFormattedDay(this.anchor);
            },
        },
        {
            trigger: `${SELECTED} .o_stock_lookup_alternative:contains('Tour desk light'):contains('5')`,
            content: "The desk light, five free, offered instead",
        },
        {
            trigger: QUANTITY,
            content: "Escape goes back to the search box",
            run: "click && press Escape",
        },
        {
            trigger: `${QUERY}:focus`,
            content: "Escape clears the search",
            run: "press Escape",
        },
        {
            trigger: `${LOOKUP} .o_stock_lookup_empty:contains('Type a product name, reference or barcode')`,
            content: "Cleared",
        },
        {
            trigger: QUERY,
            content: "A product that does not exist",
            run: "edit NO-SUCH-PRODUCT",
        },
        {
            trigger: `${LOOKUP} .o_stock_lookup_no_match:contains('NO-SUCH-PRODUCT')`,
            content: "No product matches",
        },
        {
            trigger: QUERY,
            content: "A product offered instead is looked up on a click",
            run: "edit TOUR-LAMP-SHADE",
        },
        {
            trigger: `${SELECTED} .o_stock_lookup_alternative:contains('Tour desk light')`,
            content: "Click the desk light",
            run: "click",
        },
        {
            trigger: `${SELECTED} .o_stock_lookup_detail_name:contains('Tour desk light')`,
            content: "The desk light and its stock",
        },
    ],
});

/**
 * The same in Arabic: the lookup laid out right to left (the products on the right, the
 * figures beside them), its days in the user's date format.
 */
registry.category("web_tour.tours").add("crm_relational_stock_lookup_rtl", {
    steps: () => [
        {
            trigger: `body.o_rtl ${QUERY}:focus`,
            content: "Right to left; the search box has the focus",
            run: "edit TOUR-LAMP",
        },
        {
            trigger: QUANTITY,
            content: "The quantity asked",
            run: "edit 3",
        },
        {
            trigger: `${SELECTED} tr.o_stock_lookup_warehouse td.o_stock_lookup_free:contains('7')`,
            content: "Seven are free",
        },
        {
            trigger: `${LOOKUP} .o_stock_lookup_products`,
            content: "The products are on the right of the figures",
            run() {
                const products = this.anchor.getBoundingClientRect();
                const detail = document.querySelector(SELECTED).getBoundingClientRect();
                if (products.left < detail.right - 1) {
                    throw new Error("The products list is not on the right side");
                }
            },
        },
        {
            trigger: QUERY,
            content: "Move down to the lamp shade and select it",
            run: "click && press ArrowDown && press Enter",
        },
        {
            trigger: `${SELECTED} tr.o_stock_lookup_warehouse td.o_stock_lookup_promise .badge.text-bg-warning[data-date]`,
            content: "Three can be promised when they arrive, in the user's date format",
            run() {
                checkFormattedDay(this.anchor);
                const lang = user.lang || "";
                const language = lang.startsWith("fa") ? "persian" : "arabic";
                console.log(`crm_relational_screenshot stock-lookup-${language}`);
                return new Promise((resolve) => setTimeout(resolve, 1000));
            },
        },
    ],
});
