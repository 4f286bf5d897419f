/** @odoo-module **/
import { waitUntil } from "@odoo/hoot-dom";

/**
 * A step that saves the screen reached as docs/img/<name>.png: the test browser
 * (tests/tour_browser.py) captures the page when it reads the marker in the console,
 * then flags <body>; waiting for that flag keeps the screen still meanwhile.
 */
export function screenshotStep(name, trigger = "body") {
    return {
        content: `screenshot ${name}`,
        trigger,
        async run() {
            // Let tooltips and notifications opened by the previous click settle.
            await new Promise((resolve) => setTimeout(resolve, 300));
            console.log(`logistics-screenshot:${name}`);
            await waitUntil(() => document.body.dataset.logisticsScreenshot === name, {
                timeout: 30000,
            });
        },
    };
}
