# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Logistics Sync Job Runner Wake-up",
    "summary": "Server-wide: queue_job's runner re-queues the jobs of dead workers within "
    "about 20 s instead of up to 70 s",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Hidden/Tools",
    "website": "https://github.com/logistics-sync/odoo-logistics-sync",
    "author": "Logistics Sync contributors",
    "maintainers": ["logistics-sync"],
    "license": "LGPL-3",
    "installable": True,
    "depends": ["queue_job"],
    "post_load": "post_load",
}
