-- Run by Odoo when a database is neutralized (copied for testing/staging):
-- no backend sends or accepts anything, and no credential survives the copy.
UPDATE logistics_backend SET paused = true, auth_secret = NULL, auth_username = NULL;
UPDATE logistics_backend_secret SET active = false, secret = 'neutralized-' || id;
