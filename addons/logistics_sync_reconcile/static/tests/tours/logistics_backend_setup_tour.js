/** @odoo-module **/
import { registry } from "@web/core/registry";
import { screenshotStep } from "@logistics_sync_reconcile/../tests/tours/screenshot_step";

// Journey 1: an administrator creates a backend from Settings, picks an adapter,
// rotates its webhook secret and copies its webhook URL.
registry.category("web_tour.tours").add("logistics_backend_setup_tour", {
    url: "/odoo/settings",
    steps: () => [
        {
            content: "open the Logistics settings",
            trigger: ".settings_tab .tab[data-key='logistics_sync']",
            run: "click",
        },
        {
            content: "open the backends",
            trigger: "#logistics_backends button:contains(Backends)",
            run: "click",
        },
        {
            content: "create a backend",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Tour TMS",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=code] input",
            run: "edit tour-tms",
        },
        {
            content: "pick the EasyPost adapter",
            trigger: ".o_form_view .o_field_widget[name=adapter] select",
            run: "selectByLabel EasyPost tracker webhooks",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=integration_user_id] input",
            run: "edit Tour Integration",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Tour Integration)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "saved: the webhook URL is the backend's endpoint",
            trigger: ".o_form_saved .o_field_widget[name=webhook_url]:contains(https://odoo.example.com/logistics/webhook/tour-tms)",
        },
        {
            content: "rotate the webhook secret",
            trigger: ".o_form_statusbar button[name=action_rotate_secret]:contains(Rotate Secret)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=grace_hours] input",
            run: "edit 48",
        },
        {
            trigger: ".modal button[name=action_rotate]",
            run: "click",
        },
        {
            content: "the new secret is shown once",
            trigger: ".modal .o_field_widget[name=new_secret] span:not(:empty)",
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "copy the webhook URL",
            trigger: "body:not(:has(.modal)) .o_field_widget[name=webhook_url] .o_clipboard_button",
            run: "click",
        },
        {
            content: "copied",
            trigger: ".o-tooltip:contains(Copied)",
            async run() {
                const copied = await navigator.clipboard.readText();
                if (copied !== "https://odoo.example.com/logistics/webhook/tour-tms") {
                    throw new Error(`clipboard holds ${copied}`);
                }
            },
        },
        screenshotStep("backend-setup", "body:not(:has(.o-tooltip))"),
    ],
});
