import io
import struct

import pytest

from pcapbuild import (ethernet, ng_block, ng_epb, ng_idb, ng_pb, ng_shb, ng_spb, pcap_bytes, pcapng_bytes,
                       tcp_packet)
from wsdissect.sources.pcap import (LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_RAW, CaptureError,
                                    CaptureTruncated, iter_capture, open_capture)

PKT = [ethernet(tcp_packet("10.0.0.1", "10.0.0.2", 40000 + i, 80, i, 0, "S")) for i in range(5)]


def read_all(blob: bytes):
    return list(iter_capture(io.BytesIO(blob)))


def read_until_error(blob: bytes):
    got = []
    with pytest.raises(CaptureTruncated) as exc:
        for p in iter_capture(io.BytesIO(blob)):
            got.append(p)
    return got, str(exc.value)


# --- classic pcap ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("nanosecond", [False, True])
def test_pcap_byte_orders_and_resolutions(big_endian, nanosecond):
    ts = [1700000000.25, 1700000000.5, 1700000001.000123]
    blob = pcap_bytes(list(zip(ts, PKT)), nanosecond=nanosecond, big_endian=big_endian)
    pkts = read_all(blob)
    assert [p.no for p in pkts] == [1, 2, 3]
    assert [p.data for p in pkts] == PKT[:3]
    assert [p.linktype for p in pkts] == [LINKTYPE_ETHERNET] * 3
    assert [p.wirelen for p in pkts] == [len(f) for f in PKT[:3]]
    assert [p.ts for p in pkts] == pytest.approx(ts, abs=1e-6)


def test_pcap_nanosecond_fraction_is_not_read_as_microseconds():
    blob = pcap_bytes([(5.000000123, PKT[0])], nanosecond=True)
    (p,) = read_all(blob)
    assert p.ts == pytest.approx(5.000000123, abs=1e-9)


def test_pcap_linktype_fcs_bits_are_masked():
    blob = bytearray(pcap_bytes([(1.0, PKT[0])], linktype=1))
    # f bit and a 4-byte FCS length in the upper bits (libpcap's layout)
    struct.pack_into("<I", blob, 20, 0x44000001)
    (p,) = read_all(bytes(blob))
    assert p.linktype == LINKTYPE_ETHERNET


def test_pcap_snaplen_cut_keeps_wire_length():
    big = ethernet(tcp_packet("10.0.0.1", "10.0.0.2", 1, 2, 0, 0, "PA", b"x" * 1000))
    (p,) = read_all(pcap_bytes([(1.0, big)], snaplen=96))
    assert len(p.data) == 96
    assert p.wirelen == len(big)


def test_pcap_with_no_packets_yields_nothing():
    assert read_all(pcap_bytes([])) == []


def test_pcap_truncated_inside_packet_body():
    blob = pcap_bytes([(1.0, f) for f in PKT])
    got, msg = read_until_error(blob[:-10])
    assert [p.no for p in got] == [1, 2, 3, 4]
    assert [p.data for p in got] == PKT[:4]
    assert "packet 5" in msg
    assert f"needed {len(PKT[4])} bytes, {len(PKT[4]) - 10} left" in msg


def test_pcap_truncated_inside_record_header():
    blob = pcap_bytes([(1.0, f) for f in PKT[:2]])
    got, msg = read_until_error(blob + b"\0" * 7)
    assert len(got) == 2
    assert "header of packet 3" in msg and "7 left" in msg


def test_pcap_absurd_captured_length():
    blob = pcap_bytes([(1.0, PKT[0])]) + struct.pack("<IIII", 1, 0, 0x7FFFFFFF, 60) + b"\0" * 60
    got, msg = read_until_error(blob)
    assert len(got) == 1
    assert "packet 2" in msg and "damaged" in msg


def test_pcap_header_cut_short_is_a_capture_error():
    with pytest.raises(CaptureError) as exc:
        read_all(pcap_bytes([])[:10])
    assert not isinstance(exc.value, CaptureTruncated)
    assert "10 of 24" in str(exc.value)


def test_kuznetzov_modified_pcap():
    o = "<"
    blob = struct.pack(o + "IHHiIII", 0xA1B2CD34, 2, 4, 0, 0, 65535, 1)
    for f in PKT[:2]:
        blob += struct.pack(o + "IIII", 7, 0, len(f), len(f)) + b"\0" * 8 + f
    assert [p.data for p in read_all(blob)] == PKT[:2]


# --- not a capture -----------------------------------------------------------------------------------------

def test_not_a_capture():
    with pytest.raises(CaptureError, match="not a pcap or pcapng file \\(starts with 3c 21 44 4f\\)"):
        read_all(b"<!DOCTYPE html><html></html>")


def test_empty_file():
    with pytest.raises(CaptureError, match="empty"):
        read_all(b"")


def test_errors_surface_on_first_next_not_at_call():
    gen = iter_capture(io.BytesIO(b"garbage!"))
    with pytest.raises(CaptureError):
        next(gen)


def test_open_capture_reads_a_file(tmp_path):
    path = tmp_path / "x.pcap"
    path.write_bytes(pcap_bytes([(1.0, f) for f in PKT]))
    assert [p.data for p in open_capture(path)] == PKT


def test_open_capture_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(open_capture(tmp_path / "nope.pcap"))


class Trickle(io.RawIOBase):
    """Hands out at most 3 bytes per read, like a slow pipe."""

    def __init__(self, blob):
        self.src = io.BytesIO(blob)

    def readable(self):
        return True

    def readinto(self, b):
        chunk = self.src.read(min(3, len(b)))
        b[:len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_short_reads_are_reassembled(fmt):
    frames = [(1.0 + i, f) for i, f in enumerate(PKT)]
    blob = pcap_bytes(frames) if fmt == "pcap" else pcapng_bytes(frames)
    pkts = list(iter_capture(Trickle(blob)))
    assert [p.data for p in pkts] == PKT


def test_records_larger_than_the_read_chunk():
    big = b"\xab" * (3 * 1024 * 1024)
    pkts = read_all(pcap_bytes([(1.0, PKT[0]), (2.0, big), (3.0, PKT[1])], snaplen=len(big)))
    assert [len(p.data) for p in pkts] == [len(PKT[0]), len(big), len(PKT[1])]
    assert pkts[1].data == big


# --- pcapng ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("big_endian", [False, True])
def test_pcapng_two_interfaces_with_different_links_and_resolutions(big_endian):
    raw_ip = tcp_packet("10.0.0.3", "10.0.0.4", 5, 6, 0, 0, "S")
    blob = pcapng_bytes(
        [(1700000000.5, PKT[0], 0), (1700000001.000000125, raw_ip, 1), (1700000002.75, PKT[1], 0)],
        interfaces=[(LINKTYPE_ETHERNET, None), (LINKTYPE_RAW, 9)],
        big_endian=big_endian)
    pkts = read_all(blob)
    assert [(p.no, p.linktype, p.data) for p in pkts] == [
        (1, LINKTYPE_ETHERNET, PKT[0]), (2, LINKTYPE_RAW, raw_ip), (3, LINKTYPE_ETHERNET, PKT[1])]
    assert [p.ts for p in pkts] == pytest.approx([1700000000.5, 1700000001.000000125, 1700000002.75],
                                                 abs=1e-6)


def test_pcapng_power_of_two_resolution_and_offset():
    blob = pcapng_bytes([(1000.5, PKT[0])], interfaces=[(1, 0x80 | 10, 1000)])
    # 2^-10 s units, offset 1000 s: 0.5 s is 512 units
    assert struct.unpack_from("<I", blob, blob.index(PKT[0]) - 12)[0] == 512
    (p,) = read_all(blob)
    assert p.ts == 1000.5


def test_pcapng_default_resolution_is_microseconds():
    blob = ng_shb() + ng_idb(1) + ng_block(6, struct.pack("<IIIII", 0, 0, 2_500_000, len(PKT[0]),
                                                              len(PKT[0])) + PKT[0])
    (p,) = read_all(blob)
    assert p.ts == 2.5


def test_pcapng_simple_packet_block_uses_interface_0_and_its_snaplen():
    blob = ng_shb() + ng_idb(1, snaplen=30) + ng_spb(PKT[0][:30], wirelen=len(PKT[0]))
    (p,) = read_all(blob)
    assert (p.ts, p.linktype, p.data, p.wirelen) == (0.0, 1, PKT[0][:30], len(PKT[0]))


def test_pcapng_obsolete_packet_block():
    blob = ng_shb() + ng_idb(113) + ng_idb(1) + ng_pb(1, 3.25, PKT[2])
    (p,) = read_all(blob)
    assert (p.ts, p.linktype, p.data) == (3.25, 1, PKT[2])


def test_pcapng_skips_unknown_blocks_and_counts_only_packets():
    nrb = ng_block(4, b"\0" * 4)
    isb = ng_block(5, struct.pack("<III", 0, 0, 0))
    custom = ng_block(0x40000BAD, b"hello")
    blob = (ng_shb() + nrb + ng_idb(1) + custom + ng_epb(0, 1.0, PKT[0]) + isb + ng_epb(0, 2.0, PKT[1])
            + ng_block(0x80000001, b"x" * 9))
    assert [(p.no, p.data) for p in read_all(blob)] == [(1, PKT[0]), (2, PKT[1])]


def test_pcapng_new_section_resets_interfaces_and_byte_order():
    sec1 = ng_shb() + ng_idb(1) + ng_epb(0, 1.0, PKT[0])
    raw_ip = tcp_packet("10.0.0.3", "10.0.0.4", 5, 6, 0, 0, "S")
    sec2 = ng_shb(True) + ng_idb(101, big_endian=True) + ng_epb(0, 2.0, raw_ip, big_endian=True)
    pkts = read_all(sec1 + sec2)
    assert [(p.no, p.linktype, p.ts) for p in pkts] == [(1, 1, 1.0), (2, 101, 2.0)]
    # interface 1 of section 1 does not exist in section 2
    sec3 = ng_shb() + ng_idb(1) + ng_idb(113) + ng_epb(1, 1.0, PKT[0])
    got, msg = read_until_error(sec3 + ng_shb() + ng_idb(1) + ng_epb(1, 2.0, PKT[1]))
    assert [p.linktype for p in got] == [113]
    assert "interface 1" in msg and "packet 2" in msg


def test_pcapng_truncated_inside_packet():
    blob = pcapng_bytes([(1.0, f) for f in PKT])
    got, msg = read_until_error(blob[:-20])
    assert [p.no for p in got] == [1, 2, 3, 4]
    assert "inside packet 5" in msg


def test_pcapng_truncated_inside_block_header():
    blob = pcapng_bytes([(1.0, f) for f in PKT[:2]])
    got, msg = read_until_error(blob + b"\x06\0\0\0\x40")
    assert len(got) == 2
    assert "block header" in msg and "5 left" in msg


@pytest.mark.parametrize("bad_len", [13, 8, 0x7FFFFFF0])
def test_pcapng_impossible_block_length(bad_len):
    blob = pcapng_bytes([(1.0, PKT[0])]) + struct.pack("<II", 6, bad_len) + b"\0" * 40
    got, msg = read_until_error(blob)
    assert len(got) == 1
    assert str(bad_len) in msg and "damaged" in msg


def test_pcapng_trailing_length_mismatch():
    blob = bytearray(pcapng_bytes([(1.0, f) for f in PKT[:3]]))
    blob[-4:] = struct.pack("<I", 12)
    got, msg = read_until_error(bytes(blob))
    assert len(got) == 2
    assert "does not end with its length" in msg


def test_pcapng_caplen_larger_than_block():
    epb = bytearray(ng_epb(0, 1.0, PKT[0]))
    struct.pack_into("<I", epb, 20, len(PKT[0]) + 100)
    got, msg = read_until_error(ng_shb() + ng_idb(1) + bytes(epb))
    assert got == [] and "packet 1" in msg


def test_pcapng_bad_byte_order_magic():
    shb = bytearray(ng_shb())
    shb[8:12] = b"XXXX"
    with pytest.raises(CaptureError, match="byte-order"):
        read_all(bytes(shb))


def test_pcapng_section_header_cut_short():
    with pytest.raises(CaptureError) as exc:
        read_all(ng_shb()[:20])
    assert not isinstance(exc.value, CaptureTruncated)


def test_pcapng_sll_interface():
    blob = ng_shb() + ng_idb(LINKTYPE_LINUX_SLL, tsresol=3) + ng_epb(0, 12.345, b"abc", tsresol=3)
    (p,) = read_all(blob)
    assert (p.linktype, p.ts, p.data) == (LINKTYPE_LINUX_SLL, 12.345, b"abc")


def test_truncation_message_gives_the_true_file_offset():
    from pcapbuild import pcap_bytes, tcp_packet, ethernet
    one = ethernet(tcp_packet("10.0.0.1", "10.0.0.2", 1000, 80, 1, 0, "S"))
    data = pcap_bytes([(1.0, one), (2.0, one)])
    rec = 16 + len(one)
    cut = data[:24 + rec + 6]          # the second record header is cut after 6 bytes
    with pytest.raises(CaptureTruncated) as err:
        list(iter_capture(io.BytesIO(cut)))
    assert f"offset {24 + rec}" in str(err.value)
    cut = data[:24 + rec + 16 + 10]    # the second record's body is cut after 10 bytes
    with pytest.raises(CaptureTruncated) as err:
        list(iter_capture(io.BytesIO(cut)))
    assert f"offset {24 + rec}" in str(err.value) or f"offset {24 + rec + 16}" in str(err.value)
