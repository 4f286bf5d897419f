from . import test_invoice_release, test_release_concurrency
