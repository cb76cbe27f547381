/** @odoo-module **/
// An admin connects a new sandbox calendar: the form, Connect, (the sandbox's sign-in page on its own
// origin, driven by the test in the same browser), and back on the form the account that really
// signed in, with the notice that it is not the one typed.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_connect_flow", {
    steps: () => [
        {
            content: "the new connection shows the account typed, not yet connected",
            trigger: ".o_form_view .o_field_widget[name=account_email] input:value(typed-tour@example.test)",
        },
        {
            content: "connect it: the browser leaves for the provider's sign-in page",
            trigger: ".o_form_view .o_form_statusbar button[name=action_connect]",
            async run() {
                const leaving = new Promise((resolve) => window.addEventListener("beforeunload", resolve));
                this.anchor.click();
                // the macro stops here: the tour resumes on the form the callback redirects to
                await Promise.race([leaving, new Promise((resolve) => setTimeout(resolve, 15000))]);
            },
        },
        {
            content: "back on the form: connected, as the account that really signed in",
            trigger: ".o_form_view .o_field_widget[name=account_email]:contains(signed-tour@example.test)",
        },
        {
            content: "the form says the typed account was not the one that signed in",
            trigger: ".o_fieldops_account_notice:contains(typed-tour@example.test):contains(signed-tour@example.test)",
        },
        {
            content: "and shows it connected to the sandbox",
            trigger: ".o_form_statusbar .o_arrow_button_current:contains(Connected (sandbox))",
        },
    ],
});
