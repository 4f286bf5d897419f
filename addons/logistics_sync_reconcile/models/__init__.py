from . import delivery_carrier
from . import reconcile_reports
from . import reconcile_dashboard
