/** @odoo-module **/
// A reviewer settles the demo Outlook conflict: Conflicts list, the conflict, Review,
// take the calendar's value for the notes, Apply; the conflict shows as resolved.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_conflict_review", {
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
            content: "the side-by-side table shows the notes from both sides",
            trigger: ".modal .o_field_one2many .o_data_row:contains(Notes)",
        },
        {
            content: "pick the calendar's value for the notes",
            trigger: ".modal .o_field_one2many .o_data_row:contains(Notes) td[name=choice]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_one2many .o_data_row.o_selected_row td[name=choice] select",
            run: "select \"calendar\"",
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
