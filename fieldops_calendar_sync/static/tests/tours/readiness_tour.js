/** @odoo-module **/
// An admin opens the readiness panel, checks again, and reads the sandbox picture: sandbox mode said
// plainly, live sign-in and live webhooks blocked until credentials.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_readiness_panel", {
    url: "/odoo/action-fieldops_calendar_sync.action_calendar_readiness",
    steps: () => [
        {
            content: "check every item now",
            trigger: ".o_list_view .o_list_button button:contains(Check again), button:contains(Check again)",
            run: "click",
        },
        {
            content: "sandbox mode is said plainly",
            trigger: ".o_data_row:contains(Sandbox mode) td[name=advice]:contains(Sandbox mode is ON)",
        },
        {
            content: "live sign-in waits for the provider's credentials",
            trigger: ".o_data_row:contains(Google app credentials) td[name=state]:contains(Blocked until credentials)",
        },
        {
            trigger: ".o_data_row:contains(Live webhooks) td[name=state]:contains(Blocked until credentials)",
        },
        {
            content: "an item opens with what was checked and when",
            trigger: ".o_data_row:contains(Encryption key) td[name=name]",
            run: "click",
        },
        {
            trigger: ".o_form_view [name=checked_at]",
        },
    ],
});
