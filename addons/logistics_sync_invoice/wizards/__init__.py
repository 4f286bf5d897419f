from . import logistics_invoice_override
