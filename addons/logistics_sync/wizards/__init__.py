from . import logistics_milestone_add, logistics_shipment_correct
