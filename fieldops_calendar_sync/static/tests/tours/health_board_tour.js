/** @odoo-module **/
// The admin reads the health board: one card per calendar grouped by company, a neutral
// "Not connected" card, quota figures and the next step; Review conflicts opens them.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_health_board", {
    url: "/odoo/calendar-health",
    steps: () => [
        {
            content: "cards are grouped by company",
            trigger: ".o_kanban_view .o_kanban_group:has(.o_kanban_record:contains(Service team calendar)):has(.o_kanban_record:contains(Operations dispatch calendar))",
        },
        {
            content: "a calendar never connected is neutral, not a fault",
            trigger: ".o_kanban_record:contains(Operations dispatch calendar) .o_fieldops_health_idle:contains(Not connected)",
        },
        {
            content: "the connected demo calendar needs attention for its conflict, with its figures",
            trigger: ".o_kanban_record:contains(Service team calendar) .o_fieldops_health_warning:contains(open conflicts: 1)",
        },
        {
            content: "quota reads its numbers",
            trigger: ".o_kanban_record:contains(Service team calendar) .o_fieldops_health_figures:contains(of 10000 per 10 min)",
        },
        {
            content: "the next step: review the conflicts",
            trigger: ".o_kanban_record:contains(Service team calendar) button[name=action_view_conflicts]",
            run: "click",
        },
        {
            content: "the calendar's open conflicts are listed",
            trigger: ".o_list_view .o_data_row:contains(Both sides changed)",
        },
    ],
});
