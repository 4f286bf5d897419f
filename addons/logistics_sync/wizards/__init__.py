from . import logistics_milestone_add
from . import logistics_shipment_correct
