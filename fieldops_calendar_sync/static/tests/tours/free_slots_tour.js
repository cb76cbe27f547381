/** @odoo-module **/
// The dispatcher looks for a free slot for a job: the worker's free times are listed, one click schedules the job.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_free_slots", {
    steps: () => [
        {
            content: "the job is in its calendar",
            trigger: ".o_form_view button[name=action_view_calendar_links]:contains(Synced)",
        },
        {
            content: "look for a free slot",
            trigger: ".o_form_view button[name=action_fieldops_find_free_slot]",
            run: "click",
        },
        {
            content: "the worker's free slots are listed, with what was searched",
            trigger: ".modal .o_fieldops_free_slots:contains(Sam Slottour):contains(Monday to Friday) .o_data_row button.o_fieldops_use_slot",
        },
        {
            content: "(the test looks at the dialog)",
            trigger: "body.o_fieldops_looked_at",
        },
        {
            content: "use the first slot",
            trigger: ".modal .o_fieldops_free_slots .o_data_row:first button.o_fieldops_use_slot",
            run: "click",
        },
        {
            content: "the dialog closes on the job, reloaded: its change waits to be pushed to the calendar",
            trigger: ".o_form_view:not(:has(.o_form_dirty)) button[name=action_view_calendar_links]:contains(Pending)",
        },
    ],
});
