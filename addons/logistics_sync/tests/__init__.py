from . import (
    test_concurrency,
    test_picking,
    test_security,
    test_shipment_milestones,
    test_state_machine,
    test_ui,
)
