/** @odoo-module **/
// The dispatcher gives a job to a worker who is busy then: the form warns, naming them; the job still saves.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_busy_warning", {
    steps: () => [
        {
            content: "assign the worker",
            trigger: ".o_form_view .o_field_widget[name=person_id] input",
            run: "edit Sam Busytour",
        },
        {
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains(Sam Busytour)",
            run: "click",
        },
        {
            content: "the warning names the worker and the calendar",
            trigger: ".modal:contains(The crew is busy then):contains(Sam Busytour is busy from):contains(busytour calendar)",
        },
        {
            content: "close the warning",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "save anyway",
            trigger: ".o_form_view:not(:has(.modal)) .o_form_button_save",
            run: "click",
        },
        {
            content: "saved",
            trigger: ".o_form_view:not(:has(.o_form_dirty)) .o_field_widget[name=person_id]:contains(Sam Busytour), .o_form_view .o_form_saved",
        },
    ],
});
