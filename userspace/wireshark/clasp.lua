-- SPDX-License-Identifier: GPL-2.0
--
-- Wireshark/tshark dissector for clasp: TCP's header and options carried
-- over IP protocol 253 (the module's "proto" parameter; the preference
-- clasp.proto here).  The header is handed to Wireshark's own TCP
-- dissector, so every tcp.* field (ports, flags, seq/ack, options,
-- analysis) decodes as for TCP.  What that dissector cannot do is check
-- the checksum: it puts protocol 6 in the IPv4 pseudo-header, clasp puts
-- its own number.  This dissector checks it with the configured number
-- and shows the result as clasp.checksum.status (Good/Bad) when the
-- preference clasp.check_checksum is on.  It is off by default, as
-- Wireshark's tcp.check_checksum is: a segment captured on the machine
-- that sent it usually carries only the pseudo-header's sum, which the
-- device completes after the capture (checksum offload), and would show
-- as Bad (Unverified, then).
--
--   tshark -X lua_script:clasp.lua -r capture.pcap
--   tshark -X lua_script:clasp.lua -o clasp.check_checksum:TRUE -r capture.pcap
--   tshark -X lua_script:clasp.lua -o clasp.proto:254 -r capture.pcap
--
-- make install-dissector copies it where Wireshark loads personal plugins.

local clasp = Proto("clasp", "clasp (TCP over its own IP protocol)")

local STATUS_BAD, STATUS_GOOD, STATUS_UNVERIFIED = 0, 1, 2
local status_names = {
	[STATUS_BAD] = "Bad",
	[STATUS_GOOD] = "Good",
	[STATUS_UNVERIFIED] = "Unverified",
}

local f_checksum = ProtoField.uint16("clasp.checksum", "Checksum", base.HEX)
local f_calculated = ProtoField.uint16("clasp.checksum.calculated",
	"Calculated checksum", base.HEX)
local f_status = ProtoField.uint8("clasp.checksum.status", "Checksum status",
	base.DEC, status_names)
local f_proto = ProtoField.uint8("clasp.pseudo_proto",
	"Protocol number in the pseudo-header", base.DEC)
clasp.fields = { f_checksum, f_calculated, f_status, f_proto }

local e_bad = ProtoExpert.new("clasp.checksum.bad", "Bad clasp checksum",
	expert.group.CHECKSUM, expert.severity.ERROR)
clasp.experts = { e_bad }

clasp.prefs.proto = Pref.uint("IP protocol number", 253,
	"The clasp module's \"proto\" parameter: the IP protocol number " ..
	"clasp's segments carry, and the one in the checksum's pseudo-header")

clasp.prefs.check_checksum = Pref.bool("Validate the clasp checksum if possible",
	false, "Off by default, as TCP's: segments captured where they are " ..
	"sent usually carry a checksum the device finishes later (offload)")

local ip_src = Field.new("ip.src")
local ip_dst = Field.new("ip.dst")
local tcp = Dissector.get("tcp")
local ip_table = DissectorTable.get("ip.proto")
local registered

-- The last instance of an IP field is the header that handed us the
-- segment (earlier ones belong to outer headers, e.g. a tunnel's).
local function last(field)
	local all = { field() }
	return all[#all]
end

-- sum16(str, sum): str's bytes as big-endian 16-bit words (a last odd
-- byte padded with zero) added to sum, without folding.
local function sum16(str, sum)
	local n = #str
	local i = 1
	while i + 7 <= n do
		local a, b, c, d, e, f, g, h = str:byte(i, i + 7)
		sum = sum + (a + c + e + g) * 256 + b + d + f + h
		i = i + 8
	end
	while i + 1 <= n do
		local a, b = str:byte(i, i + 1)
		sum = sum + a * 256 + b
		i = i + 2
	end
	if i == n then
		sum = sum + str:byte(i) * 256
	end
	return sum
end

local function fold(sum)
	while sum > 0xffff do
		sum = (sum % 0x10000) + math.floor(sum / 0x10000)
	end
	return sum
end

-- The checksum the segment should carry (the one's complement of the
-- sum over the pseudo-header and the segment with its checksum field as
-- zero) and whether the one it carries is right; nil when it cannot be
-- checked (no IPv4 header, or the capture cut the segment short).
local function verify(tvb, proto)
	local src, dst = last(ip_src), last(ip_dst)
	local len = tvb:reported_length_remaining()
	if not src or not dst or len < 20 or tvb:len() < len then
		return nil
	end
	local sum = sum16(src.range:raw(), 0)
	sum = sum16(dst.range:raw(), sum)
	sum = sum + proto + len
	local carried = tvb(16, 2):uint()
	sum = sum16(tvb:raw(0, 16), sum)
	sum = fold(sum16(tvb:raw(18, len - 18), sum))
	local expected = 0xffff - sum
	return expected, fold(sum + carried) == 0xffff
end

function clasp.dissector(tvb, pinfo, tree)
	if tvb:len() < 20 then
		return 0
	end
	local proto = clasp.prefs.proto
	local subtree = tree:add(clasp, tvb(0, math.min(tvb:len(), 20)))
	subtree:add(f_proto, proto):set_generated()
	subtree:add(f_checksum, tvb(16, 2))
	local expected, good
	if clasp.prefs.check_checksum then
		expected, good = verify(tvb, proto)
	end
	local status = STATUS_UNVERIFIED
	if expected then
		subtree:add(f_calculated, expected):set_generated()
		status = good and STATUS_GOOD or STATUS_BAD
	end
	local item = subtree:add(f_status, status):set_generated()
	if status == STATUS_BAD then
		item:add_proto_expert_info(e_bad,
			string.format("Bad checksum [should be 0x%04x]", expected))
	end
	subtree:append_text(string.format(", proto %d, checksum %s",
		proto, status_names[status]))

	local consumed = tcp:call(tvb, pinfo, tree)
	pinfo.cols.protocol = "clasp"
	if status == STATUS_BAD then
		pinfo.cols.info:prepend("[BAD CHECKSUM] ")
	end
	return consumed
end

local function register()
	if registered then
		ip_table:remove(registered, clasp)
	end
	registered = clasp.prefs.proto
	ip_table:add(registered, clasp)
end

function clasp.prefs_changed()
	if registered ~= clasp.prefs.proto then
		register()
	end
end

register()
