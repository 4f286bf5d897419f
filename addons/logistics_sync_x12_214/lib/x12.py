# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""ASC X12 interchanges: tokenizer, envelope checks and 997 acknowledgments.

Plain Python. The separators are read from the ISA segment as the standard says:
the element separator is the character after "ISA", the sub-element separator is
ISA16 and the segment terminator is the character after it; ISA11 is the
repetition separator from version 00402 on. Line breaks are ignored inside and
between segments (files wrapped at 80 columns, "~" + CRLF) unless a line break is
itself the segment terminator. A UTF-8 byte order mark is skipped.

Every error names the segment (its number in the file and its tag) and the
character where it starts, so an operator can find it in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from odoo.addons.logistics_sync_connector.lib.events import PayloadError

BOM = "\ufeff"
ISA_ELEMENTS = 16
LINE_BREAKS = "\r\n"


class X12Error(PayloadError):
    """Not X12, truncated, or an envelope whose control numbers or counts disagree."""

    def __init__(self, message, segment=None, offset=None, fault=None):
        #: what the 997 rejects with a code: ("set", AK502 code) or ("group", AK905 code)
        self.fault = fault
        #: (interchange, [groups read so far, the open one included]) once the ISA is read
        self.partial = None
        if segment is not None:
            message = f"segment {segment.number} ({segment.tag}) at character {segment.offset}: {message}"
        elif offset is not None:
            message = f"at character {offset}: {message}"
        super().__init__(message)


@dataclass(frozen=True)
class Separators:
    element: str
    component: str
    segment: str
    repetition: str | None = None


@dataclass(frozen=True)
class Segment:
    elements: tuple  # elements[0] is the tag
    number: int  # 1-based position of the segment in the file
    offset: int  # character where it starts in the (BOM-less) text
    raw: str  # its text, line breaks removed, without the terminator

    @property
    def tag(self):
        return self.elements[0]

    def get(self, index, default=""):
        """Element ``index`` (1-based, as in "AT7-05"), stripped; ``default`` if absent."""
        if index < len(self.elements):
            return self.elements[index].strip()
        return default


@dataclass
class Transaction:
    st: Segment
    se: Segment | None = None
    segments: list = field(default_factory=list)  # ST .. SE inclusive

    @property
    def set_id(self):
        return self.st.get(1)

    @property
    def control(self):
        return self.st.get(2)


@dataclass
class Group:
    gs: Segment
    ge: Segment | None = None
    transactions: list = field(default_factory=list)

    @property
    def functional_id(self):
        return self.gs.get(1)

    @property
    def control(self):
        return self.gs.get(6)


@dataclass
class Interchange:
    separators: Separators
    isa: Segment
    iea: Segment | None = None
    groups: list = field(default_factory=list)

    @property
    def control(self):
        return self.isa.get(13)

    @property
    def sender(self):
        return self.isa.get(6)


def decode(content: bytes) -> str:
    """Bytes -> text without BOM: UTF-8, else Latin-1 (X12's extended character sets)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    return text.lstrip(BOM).replace("\x00", "\ufffd")


def read_separators(text, start=0):
    """(Separators, offset just after the ISA terminator) of the ISA starting at ``start``."""
    if text[start:start + 3] != "ISA":
        raise X12Error(f"not an X12 interchange: expected ISA, found {text[start:start + 3]!r}",
                       offset=start)
    if len(text) < start + 4:
        raise X12Error("truncated interchange: the ISA segment ends early", offset=start)
    element = text[start + 3]
    if element.isalnum() or element in LINE_BREAKS + " ":
        raise X12Error(f"not an X12 interchange: invalid element separator {element!r}", offset=start)
    count, pos = 0, start + 3
    while count < ISA_ELEMENTS:  # ISA16 follows the 16th element separator
        pos = text.find(element, pos)
        if pos < 0:
            raise X12Error("truncated interchange: the ISA segment ends early", offset=start)
        count += 1
        pos += 1
    while pos < len(text) and text[pos] in LINE_BREAKS:  # a file wrapped inside the ISA
        pos += 1
    if pos + 1 >= len(text):
        raise X12Error("truncated interchange: no segment terminator after ISA16", offset=start)
    component, segment = text[pos], text[pos + 1]
    if segment == "\r":
        segment = "\n"  # CR or CRLF terminators: line breaks are segments
    if len({element, component, segment}) < 3 or component.isalnum() or segment.isalnum():
        raise X12Error("the ISA separators are invalid or not distinct", offset=start)
    isa_text = text[start:pos + 1].replace("\r", "").replace("\n", "")
    elements = isa_text.split(element)
    repetition = elements[11] if elements[12:13] and elements[12] >= "00402" else None
    if repetition is not None and (repetition.isalnum() or len(repetition) != 1):
        repetition = None
    return Separators(element, component, segment, repetition), pos + 2


def segments(text, separators, start=0):
    """Yield the segments from ``start``: (Segment) with line breaks removed."""
    term = separators.segment
    newline_term = term == "\n"
    if newline_term:
        text = text.replace("\r\n", "\n\0").replace("\r", "\n")  # \0 keeps offsets
    number, pos, length = 0, start, len(text)
    while pos < length:
        end = text.find(term, pos)
        if end < 0:
            end = length
        chunk = text[pos:end]
        raw = chunk.replace("\0", "") if newline_term else chunk.replace("\r", "").replace("\n", "")
        lead = len(chunk) - len(chunk.lstrip(" \r\n\t\0"))
        raw = raw.strip(" \t")
        if raw:
            number += 1
            yield Segment(tuple(raw.split(separators.element)), number, pos + lead, raw)
        pos = end + 1


def _count(value, what, seg):
    if not value.isdigit():
        raise X12Error(f"{what} {value!r} is not a number", seg)
    return int(value)


def parse(text: str) -> list[Interchange]:
    """All interchanges of a file; X12Error on the first envelope fault.

    Checks: ISA first, GS/GE and ST/SE nesting, ISA13 = IEA02, GS06 = GE02,
    ST02 = SE02, SE01 = segments ST..SE, GE01 = transaction sets, IEA01 = groups,
    nothing after the last IEA but whitespace, no interchange cut short.
    """
    stripped = text.lstrip(" \t\r\n")
    start = len(text) - len(stripped)
    if not stripped:
        raise X12Error("empty file: not an X12 interchange")
    interchanges = []
    while start < len(text):
        separators, _after = read_separators(text, start)
        interchange, start = _read_interchange(text, separators, start)
        interchanges.append(interchange)
        rest = text[start:]
        start += len(rest) - len(rest.lstrip(" \t\r\n\0"))
    return interchanges


def _read_interchange(text, separators, start):
    state = {"interchange": None, "group": None, "transaction": None}
    try:
        return _read_segments(text, separators, start, state)
    except X12Error as exc:
        interchange, group, transaction = state["interchange"], state["group"], state["transaction"]
        if interchange is not None:
            groups = list(interchange.groups)
            if group is not None:
                if transaction is not None and transaction not in group.transactions:
                    group.transactions.append(transaction)
                groups.append(group)
            exc.partial = (interchange, groups)
        raise


def _read_segments(text, separators, start, state):
    interchange, group, transaction, last = None, None, None, None
    for seg in segments(text, separators, start):
        state.update(interchange=interchange, group=group, transaction=transaction)
        last = seg
        tag = seg.tag
        if interchange is None:
            if tag != "ISA" or len(seg.elements) != ISA_ELEMENTS + 1:
                raise X12Error(f"the ISA segment must have {ISA_ELEMENTS} elements", seg)
            if not seg.get(13).isdigit() or len(seg.get(13)) != 9:
                raise X12Error(f"ISA13 {seg.get(13)!r} is not a 9-digit control number", seg)
            interchange = Interchange(separators, seg)
        elif transaction is not None:
            transaction.segments.append(seg)
            if tag == "SE":
                transaction.se = seg
                _check_transaction(transaction)
                group.transactions.append(transaction)
                transaction = None
            elif tag in ("ST", "GS", "GE", "ISA", "IEA"):
                raise X12Error(f"ST {transaction.control} has no SE before {tag}", seg,
                               fault=("set", "2"))
        elif group is not None:
            if tag == "ST":
                transaction = Transaction(seg, segments=[seg])
            elif tag == "GE":
                group.ge = seg
                _check_group(group)
                interchange.groups.append(group)
                group = None
            else:
                raise X12Error(f"{tag} outside a transaction set (ST expected)", seg)
        elif tag == "GS":
            group = Group(seg)
        elif tag == "IEA":
            interchange.iea = seg
            _check_interchange(interchange)
            end = seg.offset + len(seg.raw)
            term_at = text.find(separators.segment, end)
            return interchange, (term_at + 1 if term_at >= 0 else len(text))
        else:
            raise X12Error(f"{tag} outside a functional group (GS or IEA expected)", seg)
    what = ("its SE" if transaction is not None else "its GE" if group is not None else "the IEA")
    state.update(interchange=interchange, group=group, transaction=transaction)
    fault = ("set", "2") if transaction is not None else ("group", "3") if group is not None else None
    raise X12Error(f"truncated interchange: the file ends before {what}", last, fault=fault)


def _check_transaction(transaction):
    st, se = transaction.st, transaction.se
    if not st.get(1) or not st.get(2):
        raise X12Error("ST01 and ST02 are required", st)
    if se.get(2) != st.get(2):
        raise X12Error(f"SE02 {se.get(2)!r} does not match ST02 {st.get(2)!r}", se,
                       fault=("set", "3"))
    count = _count(se.get(1), "SE01", se)
    if count != len(transaction.segments):
        raise X12Error(f"SE01 says {count} segments, the transaction set has "
                       f"{len(transaction.segments)}", se, fault=("set", "4"))


def _check_group(group):
    gs, ge = group.gs, group.ge
    if len(gs.elements) < 9 or not gs.get(6):
        raise X12Error("the GS segment must have 8 elements with GS06", gs)
    if ge.get(2) != gs.get(6):
        raise X12Error(f"GE02 {ge.get(2)!r} does not match GS06 {gs.get(6)!r}", ge,
                       fault=("group", "4"))
    count = _count(ge.get(1), "GE01", ge)
    if count != len(group.transactions):
        raise X12Error(f"GE01 says {count} transaction sets, the group has "
                       f"{len(group.transactions)}", ge, fault=("group", "5"))
    seen = set()
    for transaction in group.transactions:
        if transaction.control in seen:
            raise X12Error(f"ST02 {transaction.control!r} is not unique in its group",
                           transaction.st, fault=("set", "23"))
        seen.add(transaction.control)


def _check_interchange(interchange):
    isa, iea = interchange.isa, interchange.iea
    if iea.get(2) != isa.get(13):
        raise X12Error(f"IEA02 {iea.get(2)!r} does not match ISA13 {isa.get(13)!r}", iea)
    count = _count(iea.get(1), "IEA01", iea)
    if count != len(interchange.groups):
        raise X12Error(f"IEA01 says {count} functional groups, the interchange has "
                       f"{len(interchange.groups)}", iea)


def render(interchange: Interchange, group: Group, transaction: Transaction) -> str:
    """One transaction set as a standalone interchange: the original ISA and GS, the
    set, then GE*1 and IEA*1 with the original control numbers (what a message stores)."""
    sep = interchange.separators
    term = sep.segment + ("" if sep.segment == "\n" else "\n")
    lines = [interchange.isa.raw, group.gs.raw, *(s.raw for s in transaction.segments),
             sep.element.join(("GE", "1", group.control)),
             sep.element.join(("IEA", "1", interchange.control))]
    return "".join(line + term for line in lines)


def component(value, separators, index):
    """Sub-element ``index`` (1-based) of a composite element value."""
    parts = value.split(separators.component)
    return parts[index - 1].strip() if index <= len(parts) else ""
