import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { useRecordObserver } from "@web/model/relational_model/utils";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * The knowledge base articles matching a ticket, beside its description: refreshed (debounced)
 * while the subject, description or customer change, each with an excerpt around the matched
 * words, its relevance and a one-click "Use" that answers the ticket with it.
 */
export class KbSuggestions extends Component {
    static template = "crm_relational_service.KbSuggestions";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ articles: [], loading: true, using: false });
        this.searchKey = null;
        this.debouncedFetch = useDebounced(this.fetch.bind(this), 400);
        useRecordObserver((record) => {
            const values = this.searchValues(record);
            const key = JSON.stringify(values);
            if (key === this.searchKey) {
                return;
            }
            const first = this.searchKey === null;
            this.searchKey = key;
            return first ? this.fetch(values) : this.debouncedFetch(values);
        });
    }

    searchValues(record) {
        const { name, description, partner_id, company_id } = record.data;
        return {
            subject: name || "",
            description: description ? String(description) : "",
            partnerId: partner_id?.id || false,
            companyId: company_id?.id || false,
        };
    }

    async fetch({ subject, description, partnerId, companyId }) {
        this.state.loading = true;
        try {
            this.state.articles = await this.orm.call(
                "helpdesk.ticket",
                "relational_article_suggestions",
                [subject, description, partnerId, companyId]
            );
        } finally {
            this.state.loading = false;
        }
    }

    async onUse(article) {
        const record = this.props.record;
        if (this.state.using || !(await record.save())) {
            return;
        }
        this.state.using = true;
        try {
            const action = await this.orm.call(
                "helpdesk.ticket",
                "action_relational_use_article",
                [[record.resId], article.id]
            );
            await this.action.doAction(action, { onClose: () => record.load() });
        } finally {
            this.state.using = false;
        }
    }

    onOpen(article) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "crm.relational.kb.article",
            res_id: article.id,
            views: [[false, "form"]],
            target: "new",
        });
    }

    onWrite() {
        const { subject } = JSON.parse(this.searchKey || "{}");
        this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("New Article"),
            res_model: "crm.relational.kb.article",
            views: [[false, "form"]],
            target: "new",
            context: { default_name: subject || "" },
        });
    }
}

export const kbSuggestions = {
    component: KbSuggestions,
    fieldDependencies: [
        { name: "name", type: "char" },
        { name: "description", type: "html" },
        { name: "partner_id", type: "many2one", relation: "res.partner" },
        { name: "company_id", type: "many2one", relation: "res.company" },
    ],
};

registry.category("view_widgets").add("relational_kb_suggestions", kbSuggestions);
