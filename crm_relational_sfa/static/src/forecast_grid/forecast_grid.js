import { Component, onWillStart, useState } from "@odoo/owl";
import { getCurrency } from "@web/core/currency";
import {
    deserializeDate,
    deserializeDateTime,
    formatDate,
    formatDateTime,
} from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

const GRID_MODEL = "crm.relational.forecast.grid";
const CALL_MODEL = "crm.relational.forecast.submission";

/**
 * The forecast grid of a sales meeting: sales teams and their salespeople in rows, for the
 * chosen quarter (this one by default) or one of its months, the target, closed, commit, best
 * case, pipeline, our P50 with its P10-P90 band, Odoo's weighted pipeline, the gap to the
 * target and the attainment. Every document figure opens the opportunities or orders behind
 * it; salespeople submit their call (commit, best case, comment), team leaders and managers
 * adjust a salesperson's or a team's call with a reason.
 *
 * One server call reads the whole grid (``crm.relational.forecast.grid.grid``), with the
 * user's own rights: a salesperson sees their row, a team leader their teams, a manager all.
 * Laid out to fit 1366 px without a horizontal scroll, and right to left in Arabic and Persian.
 */
export class ForecastGrid extends Component {
    static template = "crm_relational_sfa.ForecastGrid";
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.keepLast = new KeepLast();
        const context = this.props.action.context || {};
        this.state = useState({
            grid: null,
            dateFrom: context.default_date_from || false,
            periodType: context.default_period_type || "quarter",
            loading: false,
        });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.loading = true;
        try {
            this.state.grid = await this.keepLast.add(
                this.orm.call(GRID_MODEL, "grid", [], {
                    date_from: this.state.dateFrom,
                    period_type: this.state.periodType,
                })
            );
        } finally {
            this.state.loading = false;
        }
    }

    // ------------------------------------------------------------------ periods

    get period() {
        return this.state.grid.period;
    }

    get quarterLabel() {
        const [start, end] = this.state.grid.periods.quarter;
        return `${formatDate(deserializeDate(start))} – ${formatDate(deserializeDate(end))}`;
    }

    get months() {
        return this.state.grid.periods.months.map(([start, end]) => ({
            start,
            end,
            label: deserializeDate(start).toFormat("LLLL"),
            active: this.period.type === "month" && this.period.date_from === start,
        }));
    }

    openQuarter(start) {
        this.state.dateFrom = start;
        this.state.periodType = "quarter";
        return this.load();
    }

    openMonth(start) {
        this.state.dateFrom = start;
        this.state.periodType = "month";
        return this.load();
    }

    // ------------------------------------------------------------------ formatting

    get forecastDate() {
        return formatDateTime(deserializeDateTime(this.state.grid.forecast.date));
    }

    get currencySymbol() {
        return getCurrency(this.state.grid.currency_id)?.symbol || "";
    }

    amount(value) {
        if (value === null || value === undefined) {
            return "–";
        }
        return formatFloat(value, { digits: [16, 0] });
    }

    percent(value) {
        return value === null || value === undefined ? "–" : `${formatFloat(value, { digits: [16, 0] })}%`;
    }

    barWidth(value) {
        return `${Math.max(0, Math.min(100, value || 0))}%`;
    }

    attainmentClass(figures) {
        if (figures.attainment === null) {
            return "bg-secondary";
        }
        if (figures.commit_attainment >= 100) {
            return "bg-success";
        }
        return figures.commit_attainment >= 75 ? "bg-warning" : "bg-danger";
    }

    bandTitle(figures) {
        if (figures.p50 === null) {
            return _t("No forecast of this period yet: a sales manager takes one from Sales Forecast.");
        }
        return _t("Nine chances in ten to close at least %(p10)s, one in ten to close more than %(p90)s.", {
            p10: this.amount(figures.p10),
            p90: this.amount(figures.p90),
        });
    }

    callTitle(figures, figure) {
        const lines = [_t("Computed from the opportunities: %s", this.amount(figures[`computed_${figure}`]))];
        if (figures.submitted) {
            lines.push(
                _t("Submitted by %(by)s on %(on)s: %(amount)s", {
                    by: figures.submitted.by,
                    on: formatDateTime(deserializeDateTime(figures.submitted.on)),
                    amount: this.amount(figures.submitted[figure]),
                })
            );
            if (figures.submitted.comment) {
                lines.push(figures.submitted.comment);
            }
        }
        if (figures.adjusted) {
            lines.push(
                _t("Adjusted by %(by)s on %(on)s: %(amount)s", {
                    by: figures.adjusted.by,
                    on: formatDateTime(deserializeDateTime(figures.adjusted.on)),
                    amount: this.amount(figures.adjusted[figure]),
                })
            );
            lines.push(figures.adjusted.reason);
        }
        return lines.join("\n");
    }

    // ------------------------------------------------------------------ actions

    /** The documents behind a figure: team and salesperson ids, 0 for none, null for all. */
    async openDocuments(figure, teamId, userId) {
        const action = await this.orm.call(
            GRID_MODEL,
            "action_open_documents",
            [figure, this.period.date_from, this.period.date_to],
            { team_id: teamId, user_id: userId }
        );
        return this.action.doAction(action);
    }

    openCall(kind, team, row) {
        const figures = row ? row.figures : team.figures;
        return this.action.doAction(
            {
                type: "ir.actions.act_window",
                name: kind === "adjustment" ? _t("Adjust the Call") : _t("Submit Your Call"),
                res_model: CALL_MODEL,
                views: [[false, "form"]],
                target: "new",
                context: {
                    default_kind: kind,
                    default_team_id: team.team_id,
                    default_user_id: row ? row.user_id : false,
                    default_date_from: this.period.date_from,
                    default_date_to: this.period.date_to,
                    default_commit: figures.commit,
                    default_best_case: figures.best_case,
                },
            },
            { onClose: () => this.load() }
        );
    }

    openHistory(team, row) {
        const domain = [
            ["team_id", "=", team.team_id],
            ["date_from", "=", this.period.date_from],
            ["date_to", "=", this.period.date_to],
        ];
        if (row) {
            domain.push(["user_id", "=", row.user_id]);
        }
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Forecast Calls"),
            res_model: CALL_MODEL,
            views: [[false, "list"]],
            domain,
        });
    }
}

registry.category("actions").add("crm_relational_forecast_grid", ForecastGrid);
