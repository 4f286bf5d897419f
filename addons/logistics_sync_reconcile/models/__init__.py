from . import delivery_carrier, reconcile_dashboard, reconcile_reports
