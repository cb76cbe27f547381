/** @odoo-module **/
// The reviewer sees what each side changed inside the notes, takes all the calendar's values in
// one click, and still sees the comparison before applying.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_conflict_bulk", {
    url: "/odoo/calendar-conflicts",
    steps: () => [
        {
            content: "open the demo conflict",
            trigger: ".o_list_view .o_data_row:contains(Service team calendar) td.o_data_cell[name=kind]",
            run: "click",
        },
        {
            content: "review it",
            trigger: ".o_form_view button[name=action_review]",
            run: "click",
        },
        {
            content: "the calendar's additions inside the notes are highlighted",
            trigger: ".modal .o_data_row:contains(Notes) td[name=calendar_diff] ins.o_fieldops_added",
        },
        {
            content: "the job's own additions too",
            trigger: ".modal .o_data_row:contains(Notes) td[name=job_diff] ins.o_fieldops_added",
        },
        {
            content: "take all the calendar's values",
            trigger: ".modal footer button[name=action_all_calendar]",
            run: "click",
        },
        {
            content: "the dialog keeps its title and the comparison",
            trigger: ".modal:has(.modal-title:contains(Review calendar conflict)) .o_data_row:contains(Notes):contains(Take the calendar's) td[name=calendar_diff] ins.o_fieldops_added",
        },
        {
            content: "apply",
            trigger: ".modal footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "settled",
            trigger: "body:not(:has(.modal)) .o_statusbar_status button.o_arrow_button_current:contains(Resolved)",
        },
    ],
});
