import { registry } from "@web/core/registry";

/** Asks the test (tests/test_tours.py) for a screenshot of the page, for the README. */
function screenshot(name) {
    console.log(`crm_relational_screenshot ${name}`);
    return new Promise((resolve) => setTimeout(resolve, 1000));
}

const GRID = ".o_crm_relational_forecast_grid .o_forecast_grid_table";

/** The grid fits the screen: no horizontal scroll of the table nor of the page. */
function checkNoHorizontalScroll() {
    const table = document.querySelector(GRID);
    const scroller = table.closest(".o_forecast_grid_scroll");
    for (const element of [table, scroller, document.querySelector(".o_action_manager")]) {
        if (element.scrollWidth > element.clientWidth) {
            throw new Error(
                `${element.className} scrolls sideways: ${element.scrollWidth} > ${element.clientWidth}`
            );
        }
    }
}

/**
 * The sales manager in the weekly meeting: reads the grid at 1366x768 without scrolling
 * sideways, opens the deals behind a salesperson's commit, comes back and adjusts that
 * salesperson's call with a reason.
 */
registry.category("web_tour.tours").add("crm_relational_forecast_grid_manager", {
    steps: () => [
        {
            trigger: `${GRID} tr.o_forecast_grid_row:contains('tour_rep') .o_forecast_grid_submitted`,
            content: "The salesperson's submitted call, next to the computed figures",
        },
        {
            trigger: `${GRID} tfoot .o_forecast_grid_total`,
            content: "Every team and salesperson, without horizontal scroll",
            run: () => {
                checkNoHorizontalScroll();
                return screenshot("forecast-grid");
            },
        },
        {
            trigger: `${GRID} tr.o_forecast_grid_row:contains('tour_rep') td.o_forecast_grid_pipeline .o_forecast_grid_figure`,
            content: "Open the deals behind the pipeline",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Tour lamps for the showroom')",
            content: "The salesperson's deal of the period",
        },
        {
            trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb li.breadcrumb-item a",
            content: "Back to the grid",
            run: "click",
        },
        {
            trigger: `${GRID} tr.o_forecast_grid_row:contains('tour_rep') .o_forecast_grid_adjust`,
            content: "Adjust the salesperson's call",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='commit'] input",
            run: "edit 1200",
        },
        {
            trigger: ".modal .o_field_widget[name='best_case'] input",
            run: "edit 1800",
        },
        {
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit The showroom deal slips to next month",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            trigger: `${GRID} tr.o_forecast_grid_row:contains('tour_rep') .o_forecast_grid_adjusted`,
            content: "The adjusted call counts in the roll-up",
        },
    ],
});

/** The salesperson submits their call for the quarter with a comment. */
registry.category("web_tour.tours").add("crm_relational_forecast_grid_rep", {
    steps: () => [
        {
            trigger: `${GRID} tr.o_forecast_grid_row:contains('tour_rep') .o_forecast_grid_submit`,
            content: "Submit my call",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='commit'] input",
            run: "edit 1500",
        },
        {
            trigger: ".modal .o_field_widget[name='best_case'] input",
            run: "edit 2500",
        },
        {
            trigger: ".modal .o_field_widget[name='comment'] textarea",
            run: "edit The showroom signs this quarter",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            trigger: `${GRID} tr.o_forecast_grid_row:contains('tour_rep') .o_forecast_grid_submitted`,
            content: "My call is in",
        },
    ],
});

/** The grid right to left (Arabic, Persian): laid out from the right, no sideways scroll. */
for (const [tour, name] of [
    ["crm_relational_forecast_grid_rtl", "forecast-grid-arabic"],
    ["crm_relational_forecast_grid_persian", "forecast-grid-persian"],
]) {
    registry.category("web_tour.tours").add(tour, {
        steps: () => [
            {
                trigger: `body.o_rtl ${GRID} tfoot .o_forecast_grid_total`,
                content: "The grid, right to left",
                run: () => {
                    const table = document.querySelector(GRID);
                    const direction = getComputedStyle(table).direction;
                    if (direction !== "rtl") {
                        throw new Error(`The grid reads ${direction}, rtl expected`);
                    }
                    const name_ = table.querySelector("tbody td");
                    const last = table.querySelector("tbody tr td:last-child");
                    if (name_.getBoundingClientRect().left < last.getBoundingClientRect().left) {
                        throw new Error("The names should be on the right, right to left");
                    }
                    checkNoHorizontalScroll();
                    return screenshot(name);
                },
            },
        ],
    });
}
