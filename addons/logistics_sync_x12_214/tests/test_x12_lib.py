# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The X12 tokenizer, envelope checks, 214 parser and 997: no database.

Plain ``BaseCase`` classes, collected by Odoo's test runner and by pytest."""

from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.logistics_sync_connector.lib import adapters
from odoo.addons.logistics_sync_connector.lib.events import PayloadError
from odoo.addons.logistics_sync_connector.lib.signatures import SignatureError
from odoo.tests import common

from ..lib import ack997, x12, x12_214

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 30, 12, 0)


def fixture(name):
    return (FIXTURES / name).read_bytes()


def events_of(content):
    _interchanges, sets = x12_214.split(content)
    return [e for item in sets for e in x12_214.parse_transaction(*item)]


class TestTokenizer(common.BaseCase):
    def test_single_interchange(self):
        interchanges, sets = x12_214.split(fixture("214_single_4010.edi"))
        self.assertEqual(len(interchanges), 1)
        self.assertEqual(interchanges[0].separators, x12.Separators("*", ">", "~", None))
        self.assertEqual(len(sets), 1)
        events = events_of(fixture("214_single_4010.edi"))
        self.assertEqual([e.code for e in events], ["X3", "AF", "X1", "D1"])
        # CT in November is UTC-6, ET UTC-5.
        self.assertEqual(events[0].occurred_at, datetime(2026, 11, 26, 14, 15))
        self.assertEqual(events[3].occurred_at, datetime(2026, 11, 27, 20, 45))
        self.assertEqual({e.shipment_reference for e in events}, {"SHP-0001"})
        self.assertEqual({e.tracking_number for e in events}, {"PRO123456"})
        self.assertEqual({e.carrier for e in events}, {"ACME"})
        self.assertEqual(events[1].location, "MEMPHIS, TN, US")
        # X1 has no MS1 of its own before the next: the one after it in its loop.
        self.assertEqual(events[2].location, "ATLANTA, GA, US")
        self.assertEqual(events[0].event_id, "x12:CARRIERSCAC:000000905:905:0001:1")

    def test_odd_separators_bom_line_breaks_groups(self):
        content = fixture("214_multi_odd_separators.edi")
        self.assertTrue(content.startswith(b"\xef\xbb\xbf"))
        self.assertIn(b"\r\n", content[:120])  # the ISA itself is wrapped
        interchanges, sets = x12_214.split(content)
        self.assertEqual(interchanges[0].separators, x12.Separators("|", ":", "!", None))
        self.assertEqual([(g.control, t.control) for _i, g, t in sets],
                         [("906", "0001"), ("906", "0002"), ("907", "0001")])
        events = events_of(content)
        self.assertEqual([(e.shipment_reference, e.code) for e in events],
                         [("SHP-0001", "X6"), ("SHP-0002", "AF"), ("SHP-0003", "D1")])
        self.assertEqual(events[2].occurred_at, datetime(2026, 11, 27, 16, 30, 15))

    def test_newline_terminator_5010(self):
        content = fixture("214_newline_terminated.edi")
        interchanges, _sets = x12_214.split(content)
        self.assertEqual(interchanges[0].separators, x12.Separators("*", "}", "\n", "^"))
        events = events_of(content)
        # The appointment (AT7-03) is no milestone; the unknown ZZ is kept for the map.
        self.assertEqual([e.code for e in events], ["A9", "ZZ"])
        self.assertEqual(events[0].shipment_reference, "SHP-0001")  # from L11*SI
        self.assertIsNone(events[0].tracking_number)
        self.assertEqual(events[0].occurred_at, datetime(2026, 11, 27, 10, 0))  # LT: as UTC

    def test_rendered_set_is_a_standalone_interchange(self):
        interchanges, sets = x12_214.split(fixture("214_multi_odd_separators.edi"))
        adapter = adapters.get("x12_214")
        for item in sets:
            body = x12.render(*item).encode()
            self.assertEqual(adapter.message_id({}, body, None), x12_214.message_event_id(*item))
            self.assertEqual(adapter.parse(body), x12_214.parse_transaction(*item))

    def test_several_interchanges_in_one_file(self):
        one = fixture("214_single_4010.edi")
        two = one.replace(b"000000905", b"000000915")
        interchanges, sets = x12_214.split(one + b"\n" + two)
        self.assertEqual([i.control for i in interchanges], ["000000905", "000000915"])
        self.assertEqual(len(sets), 2)

    def test_time_codes(self):
        seg = x12.Segment(("AT7",), 1, 0, "AT7")
        cases = {
            ("20260715", "1200", "PT"): datetime(2026, 7, 15, 19, 0),  # PDT
            ("20261215", "1200", "PT"): datetime(2026, 12, 15, 20, 0),  # PST
            ("20261215", "1200", "ED"): datetime(2026, 12, 15, 16, 0),
            ("20261215", "1200", "01"): datetime(2026, 12, 15, 11, 0),  # ISO P01
            ("20261215", "1200", "13"): datetime(2026, 12, 16, 0, 0),  # ISO M12
            ("20261215", "1200", "24"): datetime(2026, 12, 15, 13, 0),  # ISO M01
            ("20261215", "12003059", "UT"): datetime(2026, 12, 15, 12, 0, 30),
        }
        for args, expected in cases.items():
            self.assertEqual(x12_214.event_time(*args, seg), expected, args)
        for args in (("2026121", "1200", "UT"), ("20261315", "1200", "UT"),
                     ("20261215", "12", "UT"), ("20261215", "1200", "XX")):
            with self.assertRaises(PayloadError, msg=args):
                x12_214.event_time(*args, seg)

    def test_adapter_has_no_webhook(self):
        with self.assertRaises(SignatureError):
            adapters.get("x12_214").verify({}, b"", [])


class TestBadInput(common.BaseCase):
    def assertRejected(self, content, *fragments):
        with self.assertRaises(x12.X12Error) as caught:
            x12_214.split(content)
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))
        return caught.exception

    def test_not_x12(self):
        self.assertRejected(b'{"event": "tracking"}', "not an X12 interchange", "at character 0")
        self.assertRejected(b"", "empty file")
        self.assertRejected(b"ISA", "truncated")
        self.assertRejected(b"\xef\xbb\xbfUNA:+.? 'UNB+UNOA", "expected ISA")

    def test_truncated(self):
        text = fixture("214_single_4010.edi").decode()
        # Cut inside the set, after SE, after GE: each says what is missing.
        cut_set = text[:text.index("AT7*D1")]
        self.assertRejected(cut_set.encode(), "truncated", "before its SE", "segment 16 (AT7)")
        cut_group = text[:text.index("GE*")]
        self.assertRejected(cut_group.encode(), "truncated", "before its GE")
        cut_iea = text[:text.index("IEA*")]
        exc = self.assertRejected(cut_iea.encode(), "truncated", "before the IEA")
        self.assertIsNone(exc.fault)
        self.assertRejected(text[:50].encode(), "ISA segment ends early")

    def test_control_number_mismatches(self):
        text = fixture("214_single_4010.edi").decode()
        iea_at = text.index("IEA*")
        cases = [
            ("IEA*1*000000905", "IEA*1*000000906",
             f"segment 22 (IEA) at character {iea_at}: IEA02 '000000906' does not match ISA13"),
            ("GE*1*905", "GE*1*906", "segment 21 (GE)", "GE02 '906' does not match GS06 '905'"),
            ("SE*18*0001", "SE*18*0002", "segment 20 (SE)", "SE02 '0002' does not match ST02 '0001'"),
            ("SE*18*0001", "SE*17*0001", "SE01 says 17 segments, the transaction set has 18"),
            ("GE*1*905", "GE*2*905", "GE01 says 2 transaction sets, the group has 1"),
            ("IEA*1*000000905", "IEA*2*000000905", "IEA01 says 2 functional groups"),
            ("GS*QM", "XX*QM", "segment 2 (XX)", "outside a functional group"),
        ]
        for old, new, *fragments in cases:
            self.assertRejected(text.replace(old, new).encode(), *fragments)

    def test_bad_time_and_missing_b10(self):
        text = fixture("214_single_4010.edi").decode()
        bad = text.replace("20261126*0815", "20261126*2515")
        with self.assertRaises(x12.X12Error) as caught:
            events_of(bad.encode())
        self.assertIn("segment 10 (AT7)", str(caught.exception))
        no_b10 = text.replace("B10*PRO123456*SHP-0001*ACME", "NTE*NO B10")
        with self.assertRaises(x12.X12Error):
            events_of(no_b10.encode())


class TestAck997(common.BaseCase):
    def test_accepted(self):
        interchanges, _sets = x12_214.split(fixture("214_multi_odd_separators.edi"))
        interchange = interchanges[0]
        ack = ack997.ack_997(interchange, interchange.groups, {}, 42, NOW)
        # The 997 itself is a valid interchange, back from the receiver to the sender.
        parsed = x12.parse(ack)[0]
        self.assertEqual(parsed.separators, interchange.separators)
        self.assertEqual(parsed.isa.get(6), "ODOOLOGISTICS")
        self.assertEqual(parsed.isa.get(8), "CARRIERSCAC")
        self.assertEqual(parsed.control, "000000042")
        self.assertEqual([t.set_id for g in parsed.groups for t in g.transactions], ["997", "997"])
        self.assertIn("AK1|QM|906!", ack)
        self.assertIn("AK2|214|0002!\nAK5|A!", ack)
        self.assertIn("AK9|A|2|2|2!", ack)
        self.assertIn("AK9|A|1|1|1!", ack)

    def test_partially_accepted(self):
        interchange = x12_214.split(fixture("214_multi_odd_separators.edi"))[0][0]
        ack = ack997.ack_997(interchange, interchange.groups, {("906", "0002"): "1"}, 43, NOW)
        self.assertIn("AK2|214|0002!\nAK5|R|1!", ack)
        self.assertIn("AK9|P|2|2|1!", ack)

    def test_rejected_envelope(self):
        text = fixture("214_single_4010.edi").decode().replace("SE*18*0001", "SE*17*0001")
        with self.assertRaises(x12.X12Error) as caught:
            x12_214.split(text.encode())
        exc = caught.exception
        self.assertEqual(exc.fault, ("set", "4"))
        interchange, groups = exc.partial
        self.assertEqual([t.control for t in groups[0].transactions], ["0001"])
        ack = ack997.ack_997(interchange, groups, {("905", "0001"): "4"}, 44, NOW)
        self.assertIn("AK5*R*4~", ack)
        self.assertIn("AK9*R*1*1*0~", ack)
        x12.parse(ack)  # well formed


class TestHostileInput(common.BaseCase):
    """Whatever a file holds, reading it ends in events or a PayloadError (an invalid
    message), never in another exception that would fail the import or the cron."""

    def read_file(self, content):
        try:
            return events_of(content)
        except PayloadError as exc:
            return exc

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=400))
    def test_any_bytes(self, content):
        self.read_file(b"ISA" + content)
        self.read_file(content)

    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def test_mutated_fixtures(self, data):
        name = data.draw(st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.edi"))))
        content = bytearray(fixture(name))
        for _ in range(data.draw(st.integers(1, 4))):
            at = data.draw(st.integers(0, len(content)))
            action = data.draw(st.sampled_from(("cut", "insert", "truncate")))
            if action == "cut":
                del content[at:at + data.draw(st.integers(1, 8))]
            elif action == "insert":
                content[at:at] = data.draw(st.sampled_from(
                    [b"*", b"~", b"|", b"!", b"\n", b"\r\n", b">", b":", b"\xef\xbb\xbf", b"\x00", b"ST*214*1~"]))
            else:
                del content[at:]
        self.read_file(bytes(content))
