from . import test_invoice_release
from . import test_release_concurrency
