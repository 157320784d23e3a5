import { onMounted, onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import {
    ProgressBarField,
    progressBarField,
} from "@web/views/fields/progress_bar/progress_bar_field";

/** How often an unfinished run is read again, in milliseconds. */
export const REFRESH_DELAY = 3000;
const UNFINISHED = ["queued", "running"];

/**
 * The progress of a long operation run in the background (profile recompute, backtest, bulk
 * routing): while the record's state is waiting or running, the record is read again every
 * few seconds, so the bar, the counts and the state move without reloading the page. Nothing
 * is read once it has finished, while the record is being edited, or when the form is closed.
 */
export class LiveProgressBarField extends ProgressBarField {
    setup() {
        super.setup();
        onMounted(() => {
            this.timer = setInterval(() => this.refresh(), REFRESH_DELAY);
        });
        onWillUnmount(() => clearInterval(this.timer));
    }

    async refresh() {
        const record = this.props.record;
        if (record.isNew || record.dirty || !UNFINISHED.includes(record.data.state)) {
            return;
        }
        await record.load();
    }
}

registry.category("fields").add("crm_relational_live_progressbar", {
    ...progressBarField,
    component: LiveProgressBarField,
});
