/** @odoo-module **/
// An admin saves a plain-http public base URL in Settings: it is accepted, and Settings say beside it
// that Google and Microsoft push only to https; the Calendar Health panel then says so on the connection.

import { registry } from "@web/core/registry";

const SAVE = ".o_control_panel button:contains(Save)";

registry.category("web_tour.tours").add("fieldops_push_needs_https", {
    url: "/odoo/settings",
    steps: () => [
        {
            content: "Field Service's settings hold the Calendar Sync block",
            trigger: ".settings_tab [data-key=fieldservice]",
            run: "click",
        },
        {
            content: "the public base URL",
            trigger: "[name=fieldops_public_base_url] input",
            run: "edit http://erp.example.com",
        },
        { content: "save", trigger: SAVE, run: "click" },
        {
            content: "the address is kept, and the warning says what a plain-http address costs",
            trigger: ".o_fieldops_push_warning:contains(only to https):contains(safety-net pull)",
        },
        {
            content: "an https address takes the warning away",
            trigger: "[name=fieldops_public_base_url] input",
            run: "edit https://erp.example.com",
        },
        { trigger: SAVE, run: "click" },
        {
            trigger: "[name=fieldops_public_base_url] input:value(https://erp.example.com)",
        },
        {
            trigger: "body:not(:has(.o_fieldops_push_warning:visible))",
        },
    ],
});

registry.category("web_tour.tours").add("fieldops_push_off_on_health", {
    url: "/odoo/action-fieldops_calendar_sync.action_calendar_health",
    steps: () => [
        {
            content: "open the company's connections",
            trigger: ".o_list_view .o_group_header:contains(YourCompany)",
            run: "click",
        },
        {
            content: "the health panel says why the connection gets no push notifications",
            trigger: ".o_action_manager [name=push_off_reason]:contains(only to https)",
        },
    ],
});
