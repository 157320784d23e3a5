import { Component, onWillStart, useEffect, useRef, useState } from "@odoo/owl";
import { deserializeDate, formatDate, today } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useAutofocus, useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";
import { useDebounced } from "@web/core/utils/timing";
import { parseFloat } from "@web/views/fields/parsers";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

/** Milliseconds of quiet typing before the lookup runs. */
export const SEARCH_DELAY = 200;
/** The server refuses longer search texts (MAX_QUERY_LENGTH in the lookup model). */
const MAX_QUERY_LENGTH = 100;
const MAX_RESULTS = 10;

/**
 * Stock lookup during a call: type part of a product name, reference or barcode and see, as
 * you type, each matching product's stock per warehouse and the day each warehouse can promise
 * the quantity asked.
 *
 * Every figure comes from one server method, ``crm.relational.stock.lookup.lookup``, run with
 * the user's own rights and companies. Opened from a form, the action's context can preset
 * the product (``default_product_id``), the quantity and unit (``default_quantity``,
 * ``default_uom_id``), or name an opportunity or quotation (``default_opportunity_id``,
 * ``default_order_id``) whose first product is then looked up.
 *
 * Keyboard: the search box has the focus on open; ArrowDown/ArrowUp move through the products,
 * Enter selects one and moves to the quantity, Enter there looks up at once, Escape goes back
 * to the search box, clears it, and in a dialog finally closes it.
 */
export class StockLookup extends Component {
    static template = "crm_relational_sfa.StockLookup";
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        const context = this.props.action.context || {};
        this.uom = { id: context.default_uom_id || false, name: "" };
        this.preferredProductId = false;
        this.state = useState({
            query: "",
            quantityText: this.formatQuantity(context.default_quantity || 1),
            quantity: context.default_quantity || 1,
            results: [],
            searchedQuery: "",
            activeIndex: 0,
            selectedIndex: 0,
            loading: false,
            error: "",
        });
        this.queryRef = useAutofocus({ refName: "query" });
        this.quantityRef = useRef("quantity");
        this.listRef = useRef("products");
        this.keepLast = new KeepLast();
        this.debouncedSearch = useDebounced(this.search, SEARCH_DELAY);
        useEffect(
            () => {
                this.listRef.el
                    ?.querySelector(".o_stock_lookup_product.o_active")
                    ?.scrollIntoView({ block: "nearest" });
            },
            () => [this.state.activeIndex]
        );
        onWillStart(() => this.prefill(context));
    }

    // ------------------------------------------------------------------ getters

    get selected() {
        return this.state.results[this.state.selectedIndex] || null;
    }

    get showNoMatch() {
        return (
            !this.state.loading &&
            !this.state.error &&
            this.state.query.trim() !== "" &&
            this.state.searchedQuery === this.state.query.trim() &&
            !this.state.results.length
        );
    }

    get noMatchText() {
        return _t("No product matches “%s”.", this.state.searchedQuery);
    }

    get unitName() {
        return this.uom.name || this.selected?.uom || "";
    }

    // ------------------------------------------------------------------ formatting

    formatQuantity(value) {
        return formatFloat(value || 0, { digits: [16, 3], trailingZeros: false });
    }

    /** A day from the server (ISO text) in the user's date format; "" for none. */
    formatDay(isoDate) {
        return isoDate ? formatDate(deserializeDate(isoDate)) : "";
    }

    isToday(isoDate) {
        return Boolean(isoDate) && deserializeDate(isoDate).hasSame(today(), "day");
    }

    promiseClass(isoDate) {
        if (!isoDate) {
            return "text-bg-danger";
        }
        return this.isToday(isoDate) ? "text-bg-success" : "text-bg-warning";
    }

    promiseText(isoDate) {
        if (!isoDate) {
            return _t("Not from stock");
        }
        return this.isToday(isoDate) ? _t("Today") : this.formatDay(isoDate);
    }

    // ------------------------------------------------------------------ data

    /** The product, quantity and unit the opening form asks about, if any. */
    async prefill(context) {
        let productId = context.default_product_id || false;
        try {
            if (!productId && context.default_opportunity_id) {
                const [line] = await this.orm.searchRead(
                    "crm.relational.lead.line",
                    [["lead_id", "=", context.default_opportunity_id]],
                    ["product_id", "quantity", "uom_id"],
                    { limit: 1 }
                );
                if (line) {
                    productId = line.product_id[0];
                    this.setQuantity(line.quantity, line.uom_id);
                }
            } else if (!productId && context.default_order_id) {
                const [line] = await this.orm.searchRead(
                    "sale.order.line",
                    [
                        ["order_id", "=", context.default_order_id],
                        ["display_type", "=", false],
                        ["product_id", "!=", false],
                    ],
                    ["product_id", "product_uom_qty", "product_uom_id"],
                    { limit: 1 }
                );
                if (line) {
                    productId = line.product_id[0];
                    this.setQuantity(line.product_uom_qty, line.product_uom_id);
                }
            }
            if (this.uom.id && !this.uom.name) {
                const [uom] = await this.orm.read("uom.uom", [this.uom.id], ["display_name"]);
                this.uom.name = uom?.display_name || "";
            }
            if (productId) {
                await this.setProduct(productId);
            }
        } catch {
            // A record the user may not read: open empty, as from the menu.
            return;
        }
        if (this.state.query) {
            await this.search();
        }
    }

    /** Searches for this product by the most precise text it has; selects it when found. */
    async setProduct(productId) {
        const [product] = await this.orm.read(
            "product.product",
            [productId],
            ["name", "default_code", "barcode"]
        );
        if (product) {
            this.preferredProductId = product.id;
            this.state.query = product.barcode || product.default_code || product.name;
        }
    }

    setQuantity(quantity, uom) {
        if (quantity > 0) {
            this.state.quantity = quantity;
            this.state.quantityText = this.formatQuantity(quantity);
        }
        if (uom) {
            this.uom = { id: uom[0], name: uom[1] };
        }
    }

    /**
     * Runs the lookup for the current search text and quantity. Only the latest request
     * updates the screen: answers to earlier, slower requests are dropped.
     */
    async search() {
        const query = this.state.query.trim();
        this.state.error = "";
        if (!query) {
            this.keepLast.add(Promise.resolve()); // drops any request still running
            Object.assign(this.state, { results: [], searchedQuery: "", loading: false });
            return;
        }
        if (query.length > MAX_QUERY_LENGTH) {
            this.keepLast.add(Promise.resolve());
            this.state.loading = false;
            this.state.error = _t(
                "The search text is too long (at most %s characters).",
                MAX_QUERY_LENGTH
            );
            return;
        }
        if (!(this.state.quantity > 0)) {
            this.keepLast.add(Promise.resolve());
            this.state.loading = false;
            this.state.error = _t("The quantity must be a positive number.");
            return;
        }
        this.state.loading = true;
        let results;
        try {
            results = await this.keepLast.add(
                this.orm.silent.call("crm.relational.stock.lookup", "lookup", [query], {
                    quantity: this.state.quantity,
                    uom_id: this.uom.id || false,
                    limit: MAX_RESULTS,
                })
            );
        } catch (error) {
            this.state.loading = false;
            this.state.error = error.data?.message || error.message || String(error);
            return;
        }
        const keepId = this.selected?.product_id || this.preferredProductId;
        const index = Math.max(
            0,
            results.findIndex((result) => result.product_id === keepId)
        );
        this.preferredProductId = false;
        Object.assign(this.state, {
            results,
            searchedQuery: query,
            selectedIndex: index,
            activeIndex: index,
            loading: false,
        });
    }

    // ------------------------------------------------------------------ handlers

    onQueryInput(ev) {
        this.state.query = ev.target.value;
        this.state.loading = Boolean(this.state.query.trim());
        this.debouncedSearch();
    }

    onQuantityInput(ev) {
        this.state.quantityText = ev.target.value;
        let quantity;
        try {
            quantity = parseFloat(ev.target.value);
        } catch {
            quantity = NaN;
        }
        this.state.quantity = quantity;
        this.debouncedSearch();
    }

    selectProduct(index) {
        this.state.activeIndex = index;
        this.state.selectedIndex = index;
    }

    onProductClick(index) {
        this.selectProduct(index);
        this.quantityRef.el?.focus();
    }

    /** An alternative in stock: look it up in place of the product short of stock. */
    async onAlternativeClick(alternative) {
        this.debouncedSearch.cancel();
        this.queryRef.el?.focus();
        await this.setProduct(alternative.product_id);
        await this.search();
    }

    onKeydown(ev) {
        const inQuantity = ev.target === this.quantityRef.el;
        const count = this.state.results.length;
        switch (ev.key) {
            case "ArrowDown":
            case "ArrowUp": {
                if (!count) {
                    return;
                }
                const step = ev.key === "ArrowDown" ? 1 : -1;
                this.state.activeIndex = (this.state.activeIndex + step + count) % count;
                break;
            }
            case "Enter":
                if (inQuantity) {
                    this.debouncedSearch.cancel();
                    this.search();
                } else if (count) {
                    this.selectProduct(this.state.activeIndex);
                    this.quantityRef.el?.focus();
                    this.quantityRef.el?.select();
                }
                break;
            case "Escape":
                if (inQuantity) {
                    this.queryRef.el?.focus();
                } else if (this.state.query) {
                    this.debouncedSearch.cancel();
                    this.state.query = "";
                    this.search();
                    this.queryRef.el?.focus();
                } else if (this.env.inDialog) {
                    this.action.doAction({ type: "ir.actions.act_window_close" });
                } else {
                    return;
                }
                break;
            default:
                return;
        }
        ev.preventDefault();
        ev.stopPropagation();
    }
}

registry.category("actions").add("crm_relational_stock_lookup", StockLookup);
