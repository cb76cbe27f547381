/** @odoo-module **/
// A technician opens their own worker profile: "Connect my calendar" is there, Google or Microsoft 365.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("fieldops_self_service_connect", {
    steps: () => [
        {
            content: "the technician's own profile invites them to connect their calendar",
            trigger: ".o_form_view .o_fieldops_my_calendar_hint:contains(Connect your own Google or Microsoft 365 calendar)",
        },
        {
            content: "they pick Google Calendar",
            trigger: ".o_form_view .o_form_statusbar button.o_fieldops_connect_my_google:contains(Connect my Google Calendar)",
        },
        {
            content: "or Microsoft 365",
            trigger: ".o_form_view .o_form_statusbar button.o_fieldops_connect_my_microsoft:contains(Connect my Microsoft 365 calendar)",
        },
        {
            content: "nothing to disconnect yet",
            trigger: ".o_form_view:not(:has(button.o_fieldops_disconnect_my_calendar))",
        },
    ],
});

// Connected: the profile says so, offers Disconnect, and opens the connection (the page the sign-in returns to).
registry.category("web_tour.tours").add("fieldops_self_service_connected", {
    steps: () => [
        {
            content: "the profile shows the technician's calendar as connected",
            trigger: ".o_form_view .o_fieldops_my_calendar:contains(Connected (sandbox)):contains(tess.work@example.test)",
        },
        {
            content: "Disconnect is offered, Connect no longer",
            trigger: ".o_form_view .o_form_statusbar:has(button.o_fieldops_disconnect_my_calendar):not(:has(button.o_fieldops_connect_my_google))",
        },
        {
            content: "open the calendar connection",
            trigger: ".o_form_view .o_fieldops_my_calendar button[name=action_open_my_calendar]",
            run: "click",
        },
        {
            content: "the connection form opens for the technician, without an error",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(Tess Fieldtech's calendar), .o_form_view .o_field_widget[name=name] input",
        },
        {
            content: "no error dialog",
            trigger: "body:not(:has(.o_error_dialog))",
        },
    ],
});

// My Preferences leads to the worker profile, where Connect my calendar is.
registry.category("web_tour.tours").add("fieldops_self_service_preferences", {
    steps: () => [
        {
            content: "open the user menu",
            trigger: ".o_user_menu button, .o_user_menu .dropdown-toggle",
            run: "click",
        },
        {
            content: "open My Preferences",
            trigger: ".dropdown-item[data-menu=settings]",
            run: "click",
        },
        {
            content: "My calendar is offered there",
            trigger: ".modal .o_form_view button.o_fieldops_preferences_my_calendar:contains(Connect my calendar)",
            run: "click",
        },
        {
            content: "it leads to the technician's worker profile and its buttons",
            trigger: ".o_form_view:not(.modal .o_form_view) .o_form_statusbar button.o_fieldops_connect_my_google",
        },
    ],
});
