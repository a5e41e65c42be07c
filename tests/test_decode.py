import glob
import shutil
import struct
import subprocess

import pytest

from pcapbuild import (ethernet, ipv4_packet, ipv6_ext, ipv6_fragment, ipv6_packet, loop_header, null_loopback,
                       pcap_bytes, pcapng_bytes, sll, sll2, tcp_header, tcp_packet, udp_packet)
from wsdissect.decode import DecodeError, decode_packet, is_supported_linktype
from wsdissect.model import ACK, PSH, SYN, RawPacket
from wsdissect.sources.pcap import (LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL,
                                    LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW, open_capture)

V4 = tcp_packet("192.0.2.1", "198.51.100.7", 51234, 9002, 1000, 2000, "PA", b"hello", window=512)
V6 = tcp_packet("2001:db8::1", "2001:db8:0:0:1::2", 51234, 9002, 1000, 2000, "PA", b"hello", window=512,
                ipv6=True)


def raw(frame, linktype=LINKTYPE_ETHERNET, wirelen=None, no=7, ts=12.5):
    return RawPacket(no, ts, linktype, frame, len(frame) if wirelen is None else wirelen)


def check(seg, ipv6=False, frame_len=None):
    assert seg is not None
    if ipv6:
        assert (seg.src, seg.dst, seg.ip_version) == ("2001:db8::1", "2001:db8::1:0:0:2", 6)
    else:
        assert (seg.src, seg.dst, seg.ip_version) == ("192.0.2.1", "198.51.100.7", 4)
    assert (seg.sport, seg.dport, seg.seq, seg.ack) == (51234, 9002, 1000, 2000)
    assert (seg.flags, seg.window, seg.payload, seg.missing) == (PSH | ACK, 512, b"hello", 0)
    assert (seg.no, seg.ts) == (7, 12.5)
    if frame_len is not None:
        assert seg.frame_len == frame_len


# --- link layers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ipv6", [False, True])
@pytest.mark.parametrize("linktype,wrap", [
    (LINKTYPE_ETHERNET, ethernet),
    (LINKTYPE_LINUX_SLL, sll),
    (LINKTYPE_LINUX_SLL2, sll2),
    (LINKTYPE_NULL, null_loopback),
    (LINKTYPE_NULL, lambda p: null_loopback(p, big_endian=True)),
    (LINKTYPE_LOOP, loop_header),
    (LINKTYPE_RAW, lambda p: p),
    (12, lambda p: p),
    (14, lambda p: p),
], ids=["eth", "sll", "sll2", "null-le", "null-be", "loop", "raw", "raw12", "raw14"])
def test_every_link_type(linktype, wrap, ipv6):
    frame = wrap(V6 if ipv6 else V4)
    check(decode_packet(raw(frame, linktype)), ipv6, frame_len=len(frame))


def test_linktype_ipv4_and_ipv6():
    check(decode_packet(raw(V4, LINKTYPE_IPV4)))
    check(decode_packet(raw(V6, LINKTYPE_IPV6)), ipv6=True)


@pytest.mark.parametrize("family", [24, 28, 30])
def test_null_loopback_ipv6_families_of_each_bsd(family):
    check(decode_packet(raw(null_loopback(V6, family=family), LINKTYPE_NULL)), ipv6=True)


def test_null_loopback_other_family_is_ignored():
    assert decode_packet(raw(null_loopback(V4, family=7), LINKTYPE_NULL)) is None


@pytest.mark.parametrize("vlans", [
    [100],
    [(0x88A8, 10), 20],
    [(0x9100, 1), (0x8100, 2), (0x8100, 3)],
])
def test_vlan_tags_any_depth(vlans):
    check(decode_packet(raw(ethernet(V4, vlans=vlans))))
    check(decode_packet(raw(ethernet(V6, vlans=vlans))), ipv6=True)


def test_sll_with_vlan_tag():
    frame = sll(struct.pack("!HH", 5, 0x0800) + V4, protocol=0x8100)
    check(decode_packet(raw(frame, LINKTYPE_LINUX_SLL)))


def test_non_ip_ethertype_and_unknown_linktype_are_not_tcp():
    assert decode_packet(raw(ethernet(b"\0" * 28, ethertype=0x0806))) is None
    assert decode_packet(raw(V4, linktype=127)) is None
    assert not is_supported_linktype(127)
    assert all(is_supported_linktype(lt) for lt in (0, 1, 12, 14, 101, 108, 113, 228, 229, 276))


# --- IP ----------------------------------------------------------------------------------------------------

def test_ethernet_padding_is_stripped():
    syn = tcp_packet("192.0.2.1", "198.51.100.7", 1, 2, 3, 0, "S")
    frame = ethernet(syn) + b"\0" * 6 + b"\xde\xad\xbe\xef"   # pad to 60 bytes, plus an FCS
    seg = decode_packet(raw(frame))
    assert seg.payload == b"" and seg.missing == 0 and seg.flags == SYN
    assert seg.frame_len == len(frame)


def test_ipv4_options_are_skipped():
    pkt = tcp_packet("192.0.2.1", "198.51.100.7", 51234, 9002, 1000, 2000, "PA", b"hello", window=512,
                     ip_options=b"\x94\x04\0\0" + b"\x01" * 4)
    check(decode_packet(raw(ethernet(pkt))))


def test_tcp_options_are_skipped():
    opts = b"\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x07"
    pkt = tcp_packet("192.0.2.1", "198.51.100.7", 51234, 9002, 1000, 2000, "PA", b"hello", window=512,
                     options=opts)
    check(decode_packet(raw(ethernet(pkt))))


def test_ipv6_extension_headers():
    pkt = tcp_packet("2001:db8::1", "2001:db8::1:0:0:2", 51234, 9002, 1000, 2000, "PA", b"hello", window=512,
                     ipv6=True, ext_headers=[(0, lambda nh: ipv6_ext(nh)),
                                             (60, lambda nh: ipv6_ext(nh, b"\x01\x0c" + b"\0" * 12)),
                                             (44, lambda nh: ipv6_fragment(nh, 0, False))])
    check(decode_packet(raw(ethernet(pkt))), ipv6=True)


def test_ipv6_authentication_header():
    def ah(nh):   # 12 bytes fixed + 12 bytes ICV: length field = 24/4 - 2
        return struct.pack("!BBHII", nh, 4, 0, 0x100, 1) + b"\0" * 12
    pkt = tcp_packet("2001:db8::1", "2001:db8::1:0:0:2", 51234, 9002, 1000, 2000, "PA", b"hello", window=512,
                     ipv6=True, ext_headers=[(51, ah)])
    check(decode_packet(raw(pkt, LINKTYPE_RAW)), ipv6=True)


def test_ipv4_fragments_are_skipped():
    seg = tcp_header(1, 2, 0, 0, "PA") + b"x" * 40
    first_mf = ipv4_packet("192.0.2.1", "198.51.100.7", 6, seg, frag=0x2000)
    later = ipv4_packet("192.0.2.1", "198.51.100.7", 6, b"y" * 40, frag=0x0005)
    df = ipv4_packet("192.0.2.1", "198.51.100.7", 6, seg, frag=0x4000)
    assert decode_packet(raw(first_mf, LINKTYPE_RAW)) is None
    assert decode_packet(raw(later, LINKTYPE_RAW)) is None
    assert decode_packet(raw(df, LINKTYPE_RAW)).payload == b"x" * 40    # DF alone is not a fragment


def test_ipv6_fragments_are_skipped():
    seg = tcp_header(1, 2, 0, 0, "PA") + b"x" * 40
    for offset, more in ((0, True), (8, False)):
        pkt = ipv6_packet("2001:db8::1", "2001:db8::2", 44, ipv6_fragment(6, offset, more) + seg)
        assert decode_packet(raw(pkt, LINKTYPE_RAW)) is None


def test_udp_and_other_protocols_are_not_tcp():
    assert decode_packet(raw(ethernet(udp_packet("192.0.2.1", "198.51.100.7", 53, 53, b"q")))) is None
    assert decode_packet(raw(ethernet(udp_packet("2001:db8::1", "2001:db8::2", 53, 53, b"q", ipv6=True)))) \
        is None
    icmp6 = ipv6_packet("2001:db8::1", "2001:db8::2", 58, b"\x80\0\0\0\0\0\0\0")
    assert decode_packet(raw(icmp6, LINKTYPE_RAW)) is None
    no_next = ipv6_packet("2001:db8::1", "2001:db8::2", 0, ipv6_ext(59))
    assert decode_packet(raw(no_next, LINKTYPE_RAW)) is None


def test_snaplen_cut_reports_missing_payload():
    payload = bytes(range(256)) * 6
    pkt = tcp_packet("192.0.2.1", "198.51.100.7", 1, 2, 3, 4, "PA", payload)
    frame = ethernet(pkt)
    seg = decode_packet(raw(frame[:96], wirelen=len(frame)))
    assert seg.payload == payload[:96 - 54]
    assert seg.missing == len(payload) - (96 - 54)
    assert seg.frame_len == len(frame)


def test_snaplen_cut_inside_tcp_options_keeps_the_header():
    opts = b"\x01" * 20
    pkt = tcp_packet("2001:db8::1", "2001:db8::2", 1, 2, 3, 4, "PA", b"z" * 100, ipv6=True, options=opts)
    frame = ethernet(pkt)
    seg = decode_packet(raw(frame[:14 + 40 + 30], wirelen=len(frame)))
    assert (seg.seq, seg.ack, seg.payload, seg.missing) == (3, 4, b"", 100)


def test_segmentation_offload_zero_total_length():
    pkt = bytearray(V4)
    pkt[2:4] = b"\0\0"
    check(decode_packet(raw(ethernet(bytes(pkt)))))


def test_address_text_forms():
    pkt = tcp_packet("::ffff:10.1.2.3", "fe80::1", 1, 2, 0, 0, "S", ipv6=True)
    seg = decode_packet(raw(pkt, LINKTYPE_RAW))
    assert (seg.src, seg.dst) == ("::ffff:10.1.2.3", "fe80::1")


# --- malformed ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("frame,linktype,message", [
    (ethernet(V4)[:10], LINKTYPE_ETHERNET, "short Ethernet header: 10 of 14 bytes"),
    (ethernet(V4, vlans=[5])[:16], LINKTYPE_ETHERNET, "short VLAN tag: 2 of 4 bytes"),
    (sll(V4)[:12], LINKTYPE_LINUX_SLL, "short Linux SLL header: 12 of 16 bytes"),
    (b"\x02\0", LINKTYPE_NULL, "short loopback header: 2 of 4 bytes"),
    (V4[:12], LINKTYPE_RAW, "short IPv4 header: 12 of 20 bytes"),
    (b"\x43" + V4[1:], LINKTYPE_RAW, "bad IPv4 header length: 12 bytes"),
    (b"\x47" + V4[1:24], LINKTYPE_RAW, "short IPv4 header: 24 of 28 bytes"),
    (V6[:30], LINKTYPE_RAW, "short IPv6 header: 30 of 40 bytes"),
    (b"\x50" + V4[1:], LINKTYPE_RAW, "IP version 5"),
    (ethernet(b"\x60" + V4[1:], ethertype=0x0800), LINKTYPE_ETHERNET, "IPv4 header with version 6"),
], ids=["eth", "vlan", "sll", "null", "ipv4-short", "ihl", "ihl-options", "ipv6-short", "version",
        "eth-version"])
def test_malformed_headers(frame, linktype, message):
    with pytest.raises(DecodeError, match=message):
        decode_packet(raw(frame, linktype))


def test_tcp_data_offset_below_five():
    pkt = bytearray(V4)
    pkt[20 + 12] = 4 << 4
    with pytest.raises(DecodeError, match="bad TCP data offset: 16 bytes"):
        decode_packet(raw(bytes(pkt), LINKTYPE_RAW))


def test_tcp_header_longer_than_segment():
    pkt = bytearray(tcp_packet("192.0.2.1", "198.51.100.7", 1, 2, 3, 4, "A"))
    pkt[20 + 12] = 15 << 4
    with pytest.raises(DecodeError, match="TCP header length 60 exceeds the 20 bytes"):
        decode_packet(raw(bytes(pkt), LINKTYPE_RAW))


def test_short_tcp_header():
    pkt = ipv4_packet("192.0.2.1", "198.51.100.7", 6, b"\0" * 12)
    with pytest.raises(DecodeError, match="short TCP header: 12 of 20 bytes"):
        decode_packet(raw(pkt, LINKTYPE_RAW))


def test_ip_length_beyond_an_uncut_frame_is_malformed():
    pkt = ipv4_packet("192.0.2.1", "198.51.100.7", 6, tcp_header(1, 2, 3, 4, "A"), total_length=1500)
    with pytest.raises(DecodeError, match="IP length claims 1500 bytes but the frame holds only 40"):
        decode_packet(raw(pkt, LINKTYPE_RAW))
    # the same bytes cut by a snaplen are a normal partial capture
    assert decode_packet(raw(pkt, LINKTYPE_RAW, wirelen=1500)).missing == 1460


def test_ipv4_total_length_shorter_than_header():
    pkt = ipv4_packet("192.0.2.1", "198.51.100.7", 6, tcp_header(1, 2, 3, 4, "A"), total_length=8)
    with pytest.raises(DecodeError, match="total length 8"):
        decode_packet(raw(pkt, LINKTYPE_RAW))


def test_ipv6_extension_header_past_end():
    pkt = ipv6_packet("2001:db8::1", "2001:db8::2", 0, struct.pack("!BB", 6, 10) + b"\0" * 6)
    with pytest.raises(DecodeError, match="extension header 0"):
        decode_packet(raw(pkt, LINKTYPE_RAW))


# --- end to end through the reader -------------------------------------------------------------------------

def test_pcapng_mixed_links_decode(tmp_path):
    path = tmp_path / "mixed.pcapng"
    path.write_bytes(pcapng_bytes(
        [(1.0, ethernet(V4, vlans=[3]), 0), (2.0, V6, 1), (3.0, sll2(V4), 2),
         (4.0, ethernet(udp_packet("192.0.2.1", "192.0.2.2", 1, 2)), 0)],
        interfaces=[(LINKTYPE_ETHERNET, 6), (LINKTYPE_RAW, 9), (LINKTYPE_LINUX_SLL2, 0x80 | 20)]))
    segs = [decode_packet(p) for p in open_capture(path)]
    assert segs[3] is None
    assert [(s.no, s.ts, s.ip_version, s.payload) for s in segs[:3]] == [
        (1, 1.0, 4, b"hello"), (2, 2.0, 6, b"hello"), (3, 3.0, 4, b"hello")]


# --- the project's captures against tshark -----------------------------------------------------------------

CAPTURES = sorted(glob.glob("/work/shared/captures/*.pcap"))
TSHARK = shutil.which("tshark")


def tshark_fields(path, *args):
    out = subprocess.run([TSHARK, "-r", path, *args], capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


@pytest.mark.skipif(not TSHARK, reason="tshark not installed")
@pytest.mark.skipif(not CAPTURES, reason="no captures in /work/shared/captures")
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.rsplit("/", 1)[-1])
def test_captures_agree_with_tshark(path):
    frames = tshark_fields(path, "-T", "fields", "-e", "frame.number")
    tcp = tshark_fields(path, "-Y", "tcp", "-T", "fields", "-e", "frame.number", "-e", "frame.time_epoch",
                        "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw",
                        "-e", "tcp.flags", "-e", "tcp.len", "-e", "tcp.window_size_value", "-e", "frame.len")
    packets = list(open_capture(path))
    assert len(packets) == len(frames)
    segs = [s for s in map(decode_packet, packets) if s is not None]
    assert len(segs) == len(tcp)
    ours = [(str(s.no), s.sport, s.dport, s.seq, s.ack, s.flags, len(s.payload) + s.missing, s.window,
             s.frame_len) for s in segs]
    theirs = [(no, int(sp), int(dp), int(seq), int(ack or 0), int(fl, 16) & 0xFF, int(ln), int(win), int(flen))
              for no, _, sp, dp, seq, ack, fl, ln, win, flen in tcp]
    assert ours == theirs
    assert [s.ts for s in segs] == pytest.approx([float(row[1]) for row in tcp], abs=1e-6)


@pytest.mark.skipif(not TSHARK, reason="tshark not installed")
def test_built_files_agree_with_tshark(tmp_path):
    """The builders and the reader checked against an independent reader."""
    v6ext = tcp_packet("2001:db8::1", "2001:db8::2", 7, 8, 9, 10, "PA", b"abc", ipv6=True,
                       ext_headers=[(0, lambda nh: ipv6_ext(nh))])
    files = {
        "a.pcap": pcap_bytes([(1.000001, ethernet(V4, vlans=[(0x88A8, 1), 2])), (2.5, ethernet(v6ext))],
                             nanosecond=True, big_endian=True),
        "b.pcapng": pcapng_bytes([(1700000000.000002, sll(V4), 0), (1700000001.5, V6, 1),
                                  (1700000002.25, null_loopback(v6ext), 2)],
                                 interfaces=[(LINKTYPE_LINUX_SLL, 9), (LINKTYPE_RAW, 0x80 | 16, 100),
                                             (LINKTYPE_NULL, None)], big_endian=True),
    }
    for name, blob in files.items():
        path = tmp_path / name
        path.write_bytes(blob)
        rows = tshark_fields(str(path), "-Y", "tcp", "-T", "fields", "-e", "frame.time_epoch",
                             "-e", "tcp.seq_raw", "-e", "tcp.len")
        segs = [decode_packet(p) for p in open_capture(path)]
        assert [(s.seq, len(s.payload)) for s in segs] == [(int(r[1]), int(r[2])) for r in rows]
        assert [s.ts for s in segs] == pytest.approx([float(r[0]) for r in rows], abs=1e-6)
