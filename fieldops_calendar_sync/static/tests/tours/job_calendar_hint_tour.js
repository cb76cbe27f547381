/** @odoo-module **/
// The dispatcher creates a job: before and after saving, the form says which calendar carries it.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_job_calendar_hint", {
    url: "/odoo/action-fieldservice.action_fsm_operation_order/new",
    steps: () => [
        {
            content: "before saving: the new job's calendar is named",
            trigger: ".o_form_view .o_fieldops_calendar_target.alert-info:contains(Operations dispatch calendar)",
        },
        {
            content: "choose a location",
            trigger: ".o_form_view .o_field_widget[name=location_id] input",
            run: "edit Location 1",
        },
        {
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains(Location 1)",
            run: "click",
        },
        {
            content: "save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "after saving: still named",
            trigger: ".o_form_view .o_form_saved .o_fieldops_calendar_target.alert-info:contains(Operations dispatch calendar), .o_form_view:not(:has(.o_form_dirty)) .o_fieldops_calendar_target.alert-info:contains(Operations dispatch calendar)",
        },
    ],
});
