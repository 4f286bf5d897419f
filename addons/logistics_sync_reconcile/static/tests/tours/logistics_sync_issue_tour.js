/** @odoo-module **/
import { registry } from "@web/core/registry";
import { screenshotStep } from "@logistics_sync_reconcile/../tests/tours/screenshot_step";

// Journey 2: an operations user opens Sync Issues, finds an unmapped message, maps its
// external status code and replays it; the shipment moves.
registry.category("web_tour.tours").add("logistics_sync_issue_tour", {
    url: "/odoo/action-logistics_sync_reconcile.logistics_reconcile_sync_action",
    steps: () => [
        {
            content: "the unmapped messages of Acme TMS: open them",
            trigger: ".o_data_row:contains(Acme TMS):contains(Unmapped code) button[name=action_open_messages]",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=error]:contains(unmapped: DEP_HUB)",
            run: "click",
        },
        {
            content: "the message says which code is unmapped; go to its backend",
            trigger: ".o_form_view:has(.alert-danger:contains(unmapped: DEP_HUB)) .o_field_widget[name=backend_id] a",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_notebook .nav-link:contains(Status Map)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=status_map_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=status_map_ids] .o_selected_row .o_field_widget[name=external_code] input",
            run: "edit DEP_HUB",
        },
        {
            trigger: ".o_field_widget[name=status_map_ids] .o_selected_row .o_field_widget[name=milestone_code_id] input",
            run: "edit In Transit",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(In Transit)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "mapped; back to the message",
            trigger: ".o_form_saved .o_field_widget[name=status_map_ids] .o_data_row:contains(DEP_HUB):contains(In Transit)",
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item:last-child a",
            run: "click",
        },
        {
            content: "replay it",
            trigger: ".o_form_view .o_form_statusbar button[name=action_replay]",
            run: "click",
        },
        {
            content: "processed this time",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Processed)",
        },
        {
            trigger: ".o_form_view .o_notebook .nav-link:contains(Shipments)",
            run: "click",
        },
        {
            content: "the shipment moved",
            trigger: ".o_field_widget[name=shipment_ids] .o_data_row:contains(TOUR-SHP-2):contains(In Transit)",
        },
        screenshotStep("sync-issue-replayed"),
    ],
});
