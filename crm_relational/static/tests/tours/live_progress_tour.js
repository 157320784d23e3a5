import { registry } from "@web/core/registry";

const BAR = ".o_form_view .o_field_widget[name='progress']";

/**
 * A recompute running in the background: its form shows the progress, and the progress moves
 * on its own as the run goes on (here an administrator's *Recompute Now* in another request
 * resumes the run and finishes it while the form stays open).
 */
registry.category("web_tour.tours").add("crm_relational_live_progress", {
    steps: () => [
        {
            trigger: `${BAR}:contains('25')`,
            content: "A quarter of the customers done",
            async run() {
                const response = await fetch("/web/dataset/call_kw/crm.relational.profile/action_recompute", {
                    method: "POST",
                    headers: { "Content-Type": "application/json" },
                    body: JSON.stringify({
                        jsonrpc: "2.0",
                        method: "call",
                        params: {
                            model: "crm.relational.profile",
                            method: "action_recompute",
                            args: [],
                            kwargs: {},
                        },
                    }),
                });
                const result = await response.json();
                if (result.error) {
                    throw new Error(JSON.stringify(result.error));
                }
            },
        },
        {
            trigger: `${BAR}:contains('100')`,
            content: "All done, without reloading the page",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Done')",
            content: "The run is done",
        },
    ],
});
