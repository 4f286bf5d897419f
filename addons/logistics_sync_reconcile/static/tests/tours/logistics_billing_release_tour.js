/** @odoo-module **/
import { registry } from "@web/core/registry";
import { screenshotStep } from "@logistics_sync_reconcile/../tests/tours/screenshot_step";

// Journey 3: a billing user releases the invoice of a delivered shipment with POD from
// "Delivered, not invoiced" and finds it posted; a held invoice (no POD) is refused
// until a Logistics Manager overrides the hold with a reason.
registry.category("web_tour.tours").add("logistics_billing_release_tour", {
    url: "/odoo/action-logistics_sync_reconcile.logistics_reconcile_uninvoiced_action",
    steps: () => [
        screenshotStep("delivered-not-invoiced", ".o_data_row:contains(Blue Harbor Ltd)"),
        {
            content: "release the invoice of Blue Harbor's shipment (POD received)",
            trigger: ".o_data_row:contains(Blue Harbor Ltd):has(td[name=pod_received] input:checked) button[name=action_release_invoices]",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(1 invoice(s) released) .o_notification_close",
            run: "click",
        },
        {
            content: "no longer delivered and not invoiced",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Blue Harbor Ltd)))",
        },
        {
            content: "to the customer invoices",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            trigger: ".o_menu_sections [data-menu-xmlid='account.menu_finance_receivables']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='account.menu_action_move_out_invoice_type']",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Blue Harbor Ltd) td[name=name]",
            run: "click",
        },
        {
            content: "the released invoice is posted",
            trigger: ".o_form_view:has(.o_field_widget[name=partner_id]:contains(Blue Harbor Ltd)) .o_statusbar_status .o_arrow_button_current:contains(Posted)",
        },
        {
            content: "back to the invoices",
            trigger: ".o_breadcrumb .breadcrumb-item:last-child a",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Red Quay Ltd) td[name=name]",
            run: "click",
        },
        {
            content: "no POD for Red Quay: the draft is held",
            trigger: ".o_form_view:has(.alert-warning:contains(Held until proof of delivery)) .o_form_statusbar button[name=action_post]:contains(Confirm)",
            run: "click",
        },
        {
            content: "confirming it is refused",
            trigger: ".modal:contains(is held until proof of delivery) .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "still a draft; the manager override",
            trigger: "body:not(:has(.modal)) .o_statusbar_status .o_arrow_button_current:contains(Draft)",
        },
        {
            trigger: ".o_form_statusbar button[name=action_logistics_override_hold]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Customer confirmed receipt by phone",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "posted, and it says why",
            trigger: ".o_form_view:has(.alert-info:contains(Customer confirmed receipt by phone)) .o_statusbar_status .o_arrow_button_current:contains(Posted)",
        },
    ],
});
