/** @odoo-module **/
// The dispatcher's order calendar shows the crews' busy times beside the jobs: labelled with the status and
// the worker, never opened or dragged as a job, and following the worker filter.

import { registry } from "@web/core/registry";

const BUSY = ".o_calendar_renderer .fc-event.o_fieldops_busy";

registry.category("web_tour.tours").add("fieldops_busy_calendar", {
    steps: () => [
        {
            content: "Sam's busy time is beside his job, labelled with the status and the worker",
            trigger: `${BUSY}.o_fieldops_busy_busy:has(.o_fieldops_busy_title:contains(Busy)):has(.o_fieldops_busy_who:contains(Sam Busycal))`,
        },
        {
            content: "the job is there too",
            trigger: ".o_calendar_renderer .fc-event.o_event:not(.o_fieldops_busy)",
        },
        {
            content: "only the ticked worker's busy times: not Olga's",
            trigger: `.o_calendar_view:not(:has(${BUSY}:contains(Olga Busycal)))`,
        },
        {
            content: "a busy time is not a job: it cannot be dragged",
            trigger: `${BUSY}:not(.fc-event-draggable):not(.fc-event-resizable)`,
        },
        {
            content: "click it",
            trigger: `${BUSY}:contains(Sam Busycal)`,
            run: "click",
        },
        {
            content: "wait longer than the calendar's double-click delay (250 ms)",
            trigger: BUSY,
            run: () => new Promise((resolve) => setTimeout(resolve, 600)),
        },
        {
            content: "nothing opened: a busy time is not a job",
            trigger: "body:not(:has(.o_cw_popover)):not(:has(.modal))",
        },
        {
            content: "the job still opens as usual",
            trigger: ".o_calendar_renderer .fc-event.o_event:not(.o_fieldops_busy)",
            run: "click",
        },
        {
            content: "the job's popover",
            trigger: ".o_cw_popover",
        },
        {
            content: "close it",
            trigger: ".o_cw_popover .o_cw_popover_close",
            run: "click",
        },
        {
            content: "every worker",
            trigger: ".o_calendar_filter[data-name=person_id] .o_calendar_filter_item[data-value=all] input",
            run: "click",
        },
        {
            content: "Olga's day off shows now, labelled with her name",
            trigger: `${BUSY}.o_fieldops_busy_oof:has(.o_fieldops_busy_title:contains(Out of office)):has(.o_fieldops_busy_who:contains(Olga Busycal))`,
        },
    ],
});
