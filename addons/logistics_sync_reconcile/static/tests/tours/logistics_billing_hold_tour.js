/** @odoo-module **/
import { registry } from "@web/core/registry";

// Journey 3, the other side: a billing user who is not a Logistics Manager can neither
// post a held invoice nor override the hold.
registry.category("web_tour.tours").add("logistics_billing_hold_tour", {
    steps: () => [
        {
            content: "a held draft: confirm it",
            trigger: ".o_form_view:has(.alert-warning:contains(Held until proof of delivery)) .o_form_statusbar button[name=action_post]:contains(Confirm)",
            run: "click",
        },
        {
            content: "refused",
            trigger: ".modal:contains(is held until proof of delivery) .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "still a draft, and no override for this user",
            trigger: "body:not(:has(.modal)) .o_form_view:not(:has(button[name=action_logistics_override_hold])) .o_statusbar_status .o_arrow_button_current:contains(Draft)",
        },
    ],
});
