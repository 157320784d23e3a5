import { _t } from "@web/core/l10n/translation";
import { deserializeDate, formatDate } from "@web/core/l10n/dates";
import { localization } from "@web/core/l10n/localization";
import { registry } from "@web/core/registry";
import { formatMonetary } from "@web/views/fields/formatters";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

import { Component } from "@odoo/owl";

const SIZES = {
    small: { barWidth: 5, gap: 2, height: 20 },
    large: { barWidth: 10, gap: 3, height: 36 },
};

const DIRECTIONS = {
    up: { icon: "fa-caret-up text-success", label: _t("Rising") },
    flat: { icon: "fa-minus text-muted", label: _t("Steady") },
    down: { icon: "fa-caret-down text-danger", label: _t("Falling") },
};

/**
 * A customer's purchases month by month, as a row of small bars (oldest to newest in the
 * reading direction: left to right, right to left in Arabic), each with its month and amount
 * as a tooltip, and the direction of the last quarter against the one before.
 * The value is the JSON of res.partner.relational_purchase_trend.
 */
export class PurchaseTrendField extends Component {
    static template = "crm_relational.PurchaseTrendField";
    static props = {
        ...standardFieldProps,
        size: { type: String, optional: true },
    };
    static defaultProps = { size: "small" };

    get trend() {
        return this.props.record.data[this.props.name] || null;
    }

    get dims() {
        return SIZES[this.props.size] || SIZES.small;
    }

    get width() {
        const { barWidth, gap } = this.dims;
        return this.trend.months.length * (barWidth + gap);
    }

    get bars() {
        const trend = this.trend;
        if (!trend?.months?.length) {
            return [];
        }
        const { barWidth, gap, height } = this.dims;
        const step = barWidth + gap;
        const count = trend.months.length;
        const top = Math.max(...trend.amounts, 0);
        const rtl = localization.direction === "rtl";
        return trend.months.map((month, index) => {
            const amount = trend.amounts[index] || 0;
            const barHeight = top > 0 && amount > 0 ? Math.max(2, (amount / top) * height) : 1;
            const date = deserializeDate(month);
            return {
                month,
                x: (rtl ? count - 1 - index : index) * step,
                barX: (rtl ? count - 1 - index : index) * step + gap / 2,
                y: height - barHeight,
                barHeight,
                className:
                    amount > 0
                        ? index === count - 1
                            ? "o_crm_relational_trend_bar o_crm_relational_trend_current"
                            : "o_crm_relational_trend_bar"
                        : "o_crm_relational_trend_bar o_crm_relational_trend_empty",
                tooltip: _t("%(month)s: %(amount)s", {
                    month: formatDate(date, { format: "MMMM yyyy" }),
                    amount: formatMonetary(amount, { currencyId: trend.currency_id }),
                }),
            };
        });
    }

    get direction() {
        return DIRECTIONS[this.trend?.direction] || null;
    }

    get summary() {
        return _t("Purchases, last 12 months");
    }
}

export const purchaseTrendField = {
    component: PurchaseTrendField,
    displayName: _t("Purchase Trend"),
    supportedTypes: ["json"],
    supportedOptions: [
        {
            label: _t("Size"),
            name: "size",
            type: "selection",
            choices: [
                { label: _t("Small"), value: "small" },
                { label: _t("Large"), value: "large" },
            ],
        },
    ],
    extractProps: ({ options }) => ({ size: options.size }),
};

registry.category("fields").add("crm_relational_purchase_trend", purchaseTrendField);
