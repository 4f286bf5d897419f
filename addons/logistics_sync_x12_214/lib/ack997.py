# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""997 functional acknowledgments of received interchanges (plain Python).

One 997 interchange per received interchange, from its receiver back to its sender
(ISA05/06 and ISA07/08 swapped, GS02 and GS03 swapped), with the received
interchange's separators; one ST*997 per acknowledged functional group: AK1 (GS01,
GS06), one AK2 / AK5 per transaction set, AK9. A set is accepted (AK5*A) when it was
stored, rejected (AK5*R with the code of element 718) otherwise; a group is
accepted, partially accepted or rejected (AK9*A/P/R with the code of element 716).
An interchange whose envelope is faulty is rejected as a whole: every set and group
read before the fault is rejected, and the faulty one carries the code.
"""

from __future__ import annotations

from datetime import datetime

NOT_SUPPORTED = "1"  # AK502: transaction set not supported


def _pad(value, width):
    return (value or "")[:width].ljust(width)


def ack_997(interchange, groups, rejected_sets, control_number, now: datetime,
            group_faults=None) -> str:
    """The 997 interchange acknowledging ``groups`` of ``interchange`` (lib.x12).

    ``rejected_sets``: {(GS06, ST02): AK502 code or ""} of the sets not accepted
    (every set when the interchange is rejected); ``group_faults``: {GS06: AK905
    code} of groups whose own trailer is at fault; ``control_number``: the 997's
    ISA13 / GS06 (1 to 999999999)."""
    sep = interchange.separators
    isa = interchange.isa
    el = sep.element
    group_faults = group_faults or {}
    ctrl = f"{control_number:09d}"
    version = isa.get(12) or "00401"
    isa_elements = [
        "ISA", "00", _pad("", 10), "00", _pad("", 10),
        isa.get(7), _pad(isa.elements[8] if len(isa.elements) > 8 else "", 15),
        isa.get(5), _pad(isa.elements[6] if len(isa.elements) > 6 else "", 15),
        now.strftime("%y%m%d"), now.strftime("%H%M"),
        isa.elements[11] if len(isa.elements) > 11 else "U", version, ctrl, "0",
        isa.get(15) or "P", sep.component,
    ]
    gs_version = groups[0].gs.get(8) if groups else "004010"
    gs_sender = groups[0].gs.get(3) if groups else isa.get(8)
    gs_receiver = groups[0].gs.get(2) if groups else isa.get(6)
    segments = [el.join(isa_elements),
                el.join(("GS", "FA", gs_sender, gs_receiver, now.strftime("%Y%m%d"),
                         now.strftime("%H%M"), str(control_number), "X", gs_version or "004010"))]
    for number, group in enumerate(groups, 1):
        st_control = f"{number:04d}"
        body = [el.join(("ST", "997", st_control)), el.join(("AK1", group.functional_id, group.control))]
        accepted = 0
        for transaction in group.transactions:
            body.append(el.join(("AK2", transaction.set_id, transaction.control)))
            key = (group.control, transaction.control)
            if key in rejected_sets:
                code = rejected_sets[key]
                body.append(el.join(("AK5", "R", code)) if code else el.join(("AK5", "R")))
            else:
                accepted += 1
                body.append(el.join(("AK5", "A")))
        received = len(group.transactions)
        fault = group_faults.get(group.control)
        status = "A" if accepted == received and fault is None else "P" if accepted else "R"
        ak9 = ["AK9", status, str(received), str(received), str(accepted)]
        if fault:
            ak9.append(fault)
        body.append(el.join(ak9))
        body.append(el.join(("SE", str(len(body) + 1), st_control)))
        segments.extend(body)
    segments.append(el.join(("GE", str(len(groups)), str(control_number))))
    segments.append(el.join(("IEA", "1", ctrl)))
    term = sep.segment + ("" if sep.segment == "\n" else "\n")
    return "".join(s + term for s in segments)
