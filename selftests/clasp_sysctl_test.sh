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

# Every tunable of a namespace is a sysctl with claspctl's value, but the
# global memory limits, which only the initial namespace has.
every_tunable_is_a_sysctl() {
	local name value min max got n=0 bad=0

	while read -r name value min max; do
		n=$((n + 1))
		got=$(sysctl_get "$NS" "$name")
		case $name in
		mem_*)
			if [ -n "$got" ]; then
				log "$name is a sysctl of a namespace other than the initial one"
				bad=1
			fi
			got=$(sysctl -n "net.clasp.$name")
			value=$("$CTL" config | awk -v n="$name" '$1 == n { print $2 }')
			;;
		esac
		if [ "$got" != "$value" ]; then
			log "$name: sysctl reads '$got', claspctl $value"
			bad=1
		fi
	done < <(config "$NS")
	log "$n tunables"
	[ "$n" -ge 20 ] && [ "$bad" = 0 ]
}

# A value in range other than @value: what a set can be seen to change.
other_value() {
	local value=$1 min=$2 max=$3

	if [ "$value" != "$min" ]; then
		echo "$min"
	elif [ "$value" != "$max" ]; then
		echo "$max"
	else
		echo "$value"
	fi
}

# Set through sysctl, read through claspctl; set back through claspctl,
# read through sysctl; for every tunable of the namespace.
set_through_either_read_through_the_other() {
	local name value min max v got bad=0

	while read -r name value min max; do
		[[ $name == mem_* ]] && continue
		v=$(other_value "$value" "$min" "$max")
		if ! ip netns exec "$NS" sysctl -qw "net.clasp.$name=$v"; then
			log "sysctl -w net.clasp.$name=$v failed"
			bad=1
			continue
		fi
		got=$(ctl_get "$NS" "$name")
		[ "$got" = "$v" ] || { log "$name: set $v by sysctl, claspctl reads $got"; bad=1; }
		ip netns exec "$NS" "$CTL" config set "$name" "$value" ||
			{ log "claspctl config set $name $value failed"; bad=1; }
		got=$(sysctl_get "$NS" "$name")
		[ "$got" = "$value" ] || { log "$name: set $value by claspctl, sysctl reads $got"; bad=1; }
	done < <(config "$NS")
	[ "$bad" = 0 ]
}

# Just past either end of the range: refused, with the value unchanged.
out_of_range_is_refused() {
	local name value min max v err bad=0

	while read -r name value min max; do
		[[ $name == mem_* ]] && continue
		for v in $((max + 1)) $((min - 1)); do
			[ "$v" -ge 0 ] || continue
			if ip netns exec "$NS" sysctl -qw "net.clasp.$name=$v" 2>"$TMP/err"; then
				log "net.clasp.$name=$v (range $min..$max) was accepted"
				bad=1
			fi
			err=$(cat "$TMP/err")
			[[ $err == *"Invalid argument"* ]] ||
				{ log "net.clasp.$name=$v: '$err', want Invalid argument"; bad=1; }
			[ "$(sysctl_get "$NS" "$name")" = "$value" ] ||
				{ log "net.clasp.$name changed by a refused write"; bad=1; }
		done
	done < <(config "$NS")
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

echo "TAP version 13"
echo "1..7"
if ! clasp_load || ! ip netns add "$NS" || ! ip netns add "$NS2"; then
	echo "Bail out! setup failed"
	exit "$KSFT_FAIL"
fi
check every_tunable_is_a_sysctl every_tunable_is_a_sysctl
check set_through_either_read_through_the_other set_through_either_read_through_the_other
check out_of_range_is_refused out_of_range_is_refused
check namespaces_are_separate namespaces_are_separate
check global_limits_from_the_initial_namespace global_limits_from_the_initial_namespace
check owner_of_a_user_namespace_steers_its_own owner_of_a_user_namespace_steers_its_own
check not_owner_is_refused not_owner_is_refused
echo "# Totals: pass:$((ntest - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
