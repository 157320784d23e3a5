import { registry } from "@web/core/registry";
import { MonetaryField, monetaryField } from "@web/views/fields/monetary/monetary_field";

/**
 * A lifetime value that may be unknown. An unknown value is stored empty (never 0) with the
 * reason in a selection field beside it (``clv_unknown_reason`` on the profile,
 * ``relational_clv_unknown_reason`` on the partner: option ``reason_field``); it shows as
 * "Not enough history" with the reason as a tooltip, instead of a misleading 0.00.
 */
export class LifetimeValueField extends MonetaryField {
    static template = "crm_relational.LifetimeValueField";
    static props = {
        ...MonetaryField.props,
        reasonField: { type: String },
    };

    get unknownReason() {
        const { record, reasonField } = this.props;
        const reason = record.data[reasonField];
        if (!reason) {
            return "";
        }
        const selection = record.fields[reasonField]?.selection || [];
        const option = selection.find(([value]) => value === reason);
        return option ? option[1] : reason;
    }
}

const DEFAULT_REASON_FIELD = "clv_unknown_reason";

export const lifetimeValueField = {
    ...monetaryField,
    component: LifetimeValueField,
    fieldDependencies: ({ options }) => [
        { name: options.reason_field || DEFAULT_REASON_FIELD, type: "selection" },
    ],
    extractProps: (fieldInfo, dynamicInfo) => ({
        ...monetaryField.extractProps(fieldInfo, dynamicInfo),
        reasonField: fieldInfo.options.reason_field || DEFAULT_REASON_FIELD,
    }),
};

registry.category("fields").add("crm_relational_lifetime_value", lifetimeValueField);
