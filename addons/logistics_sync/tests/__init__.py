from . import test_state_machine
from . import test_shipment_milestones
from . import test_concurrency
from . import test_picking
from . import test_security
from . import test_ui
