from . import test_reconcile
