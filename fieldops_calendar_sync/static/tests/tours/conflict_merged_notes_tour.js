/** @odoo-module **/
// A reviewer settles the demo Outlook conflict with the merged notes: the review shows the merge with the
// clashing lines marked (the job's and the calendar's), the reviewer takes it, and the conflict is resolved.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_conflict_merged_notes", {
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
            content: "the merged notes mark the job's clashing line",
            trigger: ".modal .o_data_row:contains(Notes) td[name=merged_diff] mark.o_fieldops_clash_job:contains(G4 filters)",
        },
        {
            content: "and the calendar's",
            trigger: ".modal .o_data_row:contains(Notes) td[name=merged_diff] mark.o_fieldops_clash_calendar:contains(after lunch)",
        },
        {
            content: "pick the merged notes",
            trigger: ".modal .o_field_one2many .o_data_row:contains(Notes) td[name=choice]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_one2many .o_data_row.o_selected_row td[name=choice] select",
            run: "select \"merged\"",
        },
        {
            content: "apply the choice",
            trigger: ".modal footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "the conflict is settled",
            trigger: "body:not(:has(.modal)) .o_statusbar_status button.o_arrow_button_current:contains(Resolved)",
        },
    ],
});
