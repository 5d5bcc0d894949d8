#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tunables as sysctls, net.clasp.*, one set per network namespace:
#
#  - every tunable claspctl shows is a sysctl with the same value, and a
#    value set through either is what the other reads;
#  - a value outside the range claspctl prints is refused (EINVAL) and
#    changes nothing;
#  - namespaces are separate, and a new one starts from the module
#    parameters;
#  - the memory pool's global limits are sysctls of the initial namespace
#    only, as tcp_mem;
#  - root of the user namespace that owns a network namespace may change
#    its sysctls and its tunables through netlink; an unprivileged user,
#    and root of a user namespace that does not own it, may not.

source "$(dirname "$0")/lib.sh"
clasp_only_program clasp_sysctl_test "net.clasp.* are clasp's sysctls; TCP's are tested by the kernel"

CTL=${CLASPCTL:-$CLASP_REPO/userspace/claspctl}
NS=clasp_sysctl_$$
NS2=clasp_sysctl2_$$
NOBODY=65534
TMP=$(mktemp -d)
chmod 755 "$TMP"

cleanup() {
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# The cases that go through every tunable run in one shell in the
# namespace (in_ns) and read and write the sysctls as files, with the
# shell's builtins (what sysctl -n and sysctl -w do): under emulation a
# process costs tens of milliseconds, and an `ip netns exec` with a
# sysctl, claspctl and awk for each step of each tunable took 100 s a
# kernel.  Every read is still of every tunable.

# config NS: "name value min max" lines of claspctl config in NS.
config() {
	ip netns exec "$1" "$CTL" config | awk 'NF == 4 && $2 ~ /^[0-9]+$/'
}

# sysctl_get NS NAME: the sysctl's value in NS (fails when absent).
sysctl_get() {
	ip netns exec "$1" sysctl -n "net.clasp.$2" 2>/dev/null
}

# ctl_get NS NAME: the tunable's value as claspctl shows it in NS.
ctl_get() {
	config "$1" | awk -v n="$2" '$1 == n { print $2 }'
}

# What read_config and read_sysctls fill.
NAMES=()
declare -A VAL MIN MAX SYS

# read_config [-N NS]: the numeric tunables of claspctl config (lines
# "name value min max" with a number for value) into NAMES, in claspctl's
# order, and VAL, MIN and MAX by name; in the current namespace, or NS.
read_config() {
	local out name value min max rest

	out=$("$CTL" "$@" config) || { log "claspctl $* config failed"; return 1; }
	NAMES=()
	VAL=()
	MIN=()
	MAX=()
	while read -r name value min max rest; do
		[[ -n $max && -z $rest && $value =~ ^[0-9]+$ ]] || continue
		NAMES+=("$name")
		VAL[$name]=$value
		MIN[$name]=$min
		MAX[$name]=$max
	done <<<"$out"
}

# read_sysctls: every net.clasp.* of the current namespace into SYS, by
# name, read as the files they are (sysctl -n reads them so).
read_sysctls() {
	local f

	SYS=()
	for f in /proc/sys/net/clasp/*; do
		[ -e "$f" ] || continue
		read -r "SYS[${f##*/}]" <"$f"
	done
}

# print_sysctls: "name value" lines of read_sysctls.
print_sysctls() {
	local name

	read_sysctls
	for name in "${!SYS[@]}"; do
		echo "$name ${SYS[$name]}"
	done
}

# write_sysctl NAME VALUE: write net.clasp.NAME of the current namespace,
# as sysctl -w does; fails as the write does, the error in $TMP/err.
write_sysctl() {
	{ printf '%s\n' "$2" >"/proc/sys/net/clasp/$1"; } 2>"$TMP/err"
}

# in_ns NS FUNC [ARGS...]: this file's function FUNC, with ARGS, in a
# shell in network namespace NS: one `ip netns exec` for a whole case.
in_ns() {
	local ns=$1

	shift
	ip netns exec "$ns" bash -c \
		"$(declare -p CTL TMP NAMES VAL MIN MAX SYS ${CLASP_T0+CLASP_T0}; declare -f); \"\$@\"" \
		"$0" "$@"
}

# Every tunable of a namespace is a sysctl with claspctl's value, but the
# global memory limits, which only the initial namespace has.
every_tunable_is_a_sysctl() {
	local name value got n=0 bad=0
	local -A ns_sys init_val

	read_config || return 1
	for name in "${NAMES[@]}"; do
		init_val[$name]=${VAL[$name]}
	done
	read_sysctls
	while read -r name value; do
		ns_sys[$name]=$value
	done < <(in_ns "$NS" print_sysctls)
	read_config -N "$NS" || return 1
	for name in "${NAMES[@]}"; do
		n=$((n + 1))
		got=${ns_sys[$name]-}
		value=${VAL[$name]}
		case $name in
		mem_*)
			if [ -n "${ns_sys[$name]+set}" ]; then
				log "$name is a sysctl of a namespace other than the initial one"
				bad=1
			fi
			got=${SYS[$name]-}
			value=${init_val[$name]-}
			;;
		esac
		if [ "$got" != "$value" ]; then
			log "$name: sysctl reads '$got', claspctl $value"
			bad=1
		fi
	done
	log "$n tunables"
	[ "$n" -ge 20 ] && [ "$bad" = 0 ]
}

# other_value VAR VALUE MIN MAX: a value in range other than VALUE, what a
# set can be seen to change, into VAR (without a subshell).
other_value() {
	local value=$2 min=$3 max=$4

	if [ "$value" != "$min" ]; then
		printf -v "$1" %s "$min"
	elif [ "$value" != "$max" ]; then
		printf -v "$1" %s "$max"
	else
		printf -v "$1" %s "$value"
	fi
}

# tunables_are WHAT WANT AFTER: every tunable as WHAT reads it (VAL,
# claspctl's; SYS, the sysctls', which have no mem_*) has its value in the
# array named WANT; log each that has not, and AFTER, what changed them.
tunables_are() {
	local -n _what=$1 _want=$2
	local name by=claspctl bad=0

	[ "$1" = SYS ] && by=sysctl
	for name in "${NAMES[@]}"; do
		[ "$by" = sysctl ] && [[ $name == mem_* ]] && continue
		[ "${_what[$name]-}" = "${_want[$name]}" ] && continue
		log "after $3, $by reads $name '${_what[$name]-}', want ${_want[$name]}"
		bad=1
	done
	[ "$bad" = 0 ]
}

# Set through claspctl, read through sysctl; set back through sysctl, read
# through claspctl; for every tunable of the namespace.  Every read is of
# all tunables, each of which must have the value last set, so a set that
# reaches another tunable, or none, is seen.
#
# claspctl sets one tunable a call, and each set is read back through the
# sysctls at once (as files, no process).  The sets back through the
# sysctls go in rounds, each writing every tunable and read back by one
# claspctl: round k writes the k-th bit of its index's value (the set
# value or the original) to each, and a last round the originals.  Any
# two tunables are written different values in some round (originals
# that differ, or a bit of their indexes that does, one set value beside
# an original equal to the other's), so a write that reached another
# tunable is seen as surely as with a claspctl call per tunable, and one
# that reached none in the last round: 1 + log2(tunables) calls, not one
# per tunable.
set_through_either_read_through_the_other() {
	in_ns "$NS" set_through_either_in_ns
}

set_through_either_in_ns() {
	local name v i bit nbits=0 bad=0
	local -a names=()
	local -A orig set want

	read_config || return 1
	for name in "${NAMES[@]}"; do
		orig[$name]=${VAL[$name]}
		want[$name]=${VAL[$name]}
		[[ $name == mem_* ]] && continue
		names+=("$name")
		other_value "set[$name]" "${VAL[$name]}" "${MIN[$name]}" "${MAX[$name]}"
	done
	for name in "${names[@]}"; do
		v=${set[$name]}
		if ! "$CTL" config set "$name" "$v"; then
			log "claspctl config set $name $v failed"
			bad=1
			continue
		fi
		want[$name]=$v
		read_sysctls
		tunables_are SYS want "claspctl config set $name $v" || bad=1
	done
	while [ $((1 << nbits)) -lt "${#names[@]}" ]; do
		nbits=$((nbits + 1))
	done
	for ((bit = 0; bit <= nbits; bit++)); do
		for i in "${!names[@]}"; do
			name=${names[i]}
			if [ "$bit" -lt "$nbits" ] && (((i >> bit) & 1)); then
				v=${set[$name]}
			else
				v=${orig[$name]}
			fi
			if write_sysctl "$name" "$v"; then
				want[$name]=$v
			else
				log "sysctl -w net.clasp.$name=$v failed: $(<"$TMP/err")"
				bad=1
			fi
		done
		read_config || return 1
		tunables_are VAL want "round $bit of sysctl writes" || bad=1
		read_sysctls
		tunables_are SYS want "round $bit of sysctl writes" || bad=1
	done
	log "${#names[@]} tunables set both ways, $((nbits + 1)) rounds of sysctl writes"
	[ "$bad" = 0 ]
}

# Just past either end of the range: refused, with the value unchanged.
out_of_range_is_refused() {
	in_ns "$NS" out_of_range_in_ns
}

out_of_range_in_ns() {
	local name v err got bad=0
	local -A want

	read_config || return 1
	for name in "${NAMES[@]}"; do
		want[$name]=${VAL[$name]}
	done
	for name in "${NAMES[@]}"; do
		[[ $name == mem_* ]] && continue
		for v in $((${MAX[$name]} + 1)) $((${MIN[$name]} - 1)); do
			[ "$v" -ge 0 ] || continue
			if write_sysctl "$name" "$v"; then
				log "net.clasp.$name=$v (range ${MIN[$name]}..${MAX[$name]}) was accepted"
				bad=1
			fi
			err=
			read -r err <"$TMP/err"
			[[ $err == *"Invalid argument"* ]] ||
				{ log "net.clasp.$name=$v: '$err', want Invalid argument"; bad=1; }
			got=
			read -r got <"/proc/sys/net/clasp/$name"
			[ "$got" = "${want[$name]}" ] ||
				{ log "net.clasp.$name changed by a refused write"; bad=1; }
		done
	done
	# and claspctl, once, sees every tunable as it was
	read_config || return 1
	tunables_are VAL want "the refused writes" || bad=1
	[ "$bad" = 0 ]
}

# A change in one namespace is seen in no other; a namespace created after
# the module parameter changed starts from the new value.
namespaces_are_separate() {
	local init ns2 param

	init=$(sysctl -n net.clasp.msl_ms) || return 1
	ns2=$(sysctl_get "$NS2" msl_ms) || return 1
	ip netns exec "$NS" sysctl -qw net.clasp.msl_ms=4321 || return 1
	[ "$(sysctl -n net.clasp.msl_ms)" = "$init" ] || { log "initial namespace changed"; return 1; }
	[ "$(sysctl_get "$NS2" msl_ms)" = "$ns2" ] || { log "$NS2 changed"; return 1; }

	param=$(cat /sys/module/clasp/parameters/msl_ms)
	ip netns del "$NS2"
	clasp_set_params msl_ms=2345 || return 1
	ip netns add "$NS2"
	clasp_set_params msl_ms="$param" || return 1
	[ "$(sysctl_get "$NS2" msl_ms)" = 2345 ] ||
		{ log "a new namespace reads $(sysctl_get "$NS2" msl_ms), want 2345"; return 1; }
}

# mem_max_pages, set by sysctl in the initial namespace, is the pool's
# limit every namespace's claspctl shows.
global_limits_from_the_initial_namespace() {
	local max got rc=0

	max=$(sysctl -n net.clasp.mem_max_pages) || return 1
	sysctl -qw net.clasp.mem_max_pages=$((max + 1)) || return 1
	got=$(ctl_get "$NS" mem_max_pages)
	[ "$got" = $((max + 1)) ] || { log "$NS's claspctl reads $got"; rc=1; }
	[ "$(cat /sys/module/clasp/parameters/mem_max_pages)" = $((max + 1)) ] ||
		{ log "the module parameter did not follow"; rc=1; }
	sysctl -qw net.clasp.mem_max_pages=0 2>/dev/null && { log "0 pages accepted"; rc=1; }
	sysctl -qw net.clasp.mem_max_pages="$max" || rc=1
	return "$rc"
}

# as_nobody CMD...: CMD as an unprivileged user.
as_nobody() {
	setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups "$@"
}

# Root of the user namespace that owns a network namespace changes its
# sysctls and, through netlink, its tunables; nothing of anyone else's.
owner_of_a_user_namespace_steers_its_own() {
	local script out rc

	# shellcheck disable=SC2016  # expanded by the inner shell
	script='
		sysctl -qw net.clasp.msl_ms=1234 || exit 1
		[ "$(cat /proc/sys/net/clasp/msl_ms)" = 1234 ] || exit 2
		"$1" config set syn_retries 3 || exit 3
		[ "$(sysctl -n net.clasp.syn_retries)" = 3 ] || exit 4
		"$1" config set syn_retries 200 2>/dev/null && exit 5
		"$1" config set mem_max_pages 1000 2>/dev/null && exit 6
		exit 0'
	out=$(as_nobody unshare -Urn sh -c "$script" sh "$CTL" 2>&1)
	rc=$?
	[ "$rc" = 0 ] || { log "as owner of its namespace: step $rc failed: $out"; return 1; }
}

not_owner_is_refused() {
	local before bad=0

	before=$(sysctl_get "$NS" msl_ms)
	if ip netns exec "$NS" setpriv --reuid="$NOBODY" --regid="$NOBODY" \
		--clear-groups sysctl -qw net.clasp.msl_ms=1111 2>/dev/null; then
		log "an unprivileged user changed a sysctl"
		bad=1
	fi
	if ip netns exec "$NS" setpriv --reuid="$NOBODY" --regid="$NOBODY" \
		--clear-groups unshare -Ur sysctl -qw net.clasp.msl_ms=2222 2>/dev/null; then
		log "root of a user namespace that does not own the network namespace changed a sysctl"
		bad=1
	fi
	if ip netns exec "$NS" setpriv --reuid="$NOBODY" --regid="$NOBODY" \
		--clear-groups unshare -Ur "$CTL" config set msl_ms 3333 2>/dev/null; then
		log "root of a user namespace that does not own the network namespace changed a tunable"
		bad=1
	fi
	[ "$(sysctl_get "$NS" msl_ms)" = "$before" ] || { log "msl_ms changed"; bad=1; }
	[ "$bad" = 0 ]
}

clasp_tap_plan 7
if ! clasp_load || ! ip netns add "$NS" || ! ip netns add "$NS2"; then
	echo "Bail out! setup failed"
	exit "$KSFT_FAIL"
fi
clasp_start_clock
check every_tunable_is_a_sysctl every_tunable_is_a_sysctl
check set_through_either_read_through_the_other set_through_either_read_through_the_other
check out_of_range_is_refused out_of_range_is_refused
check namespaces_are_separate namespaces_are_separate
check global_limits_from_the_initial_namespace global_limits_from_the_initial_namespace
check owner_of_a_user_namespace_steers_its_own owner_of_a_user_namespace_steers_its_own
check not_owner_is_refused not_owner_is_refused
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
