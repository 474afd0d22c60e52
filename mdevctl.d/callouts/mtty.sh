#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# mdevctl call-out for mtty devices, installed as
# /usr/lib/mtty/mdevctl-callout and linked from both call-out directories:
#   /usr/lib/mdevctl/scripts.d/callouts/mtty  mdevctl >= 1.3 (Debian 13's
#                                             1.4.0) searches here first
#   /etc/mdevctl.d/scripts.d/callouts/mtty    the only one of mdevctl 1.2.0
#                                             (Debian 12); deprecated since
#                                             1.3, searched after the first
# mdevctl stops at the first script that answers for a device, so it runs
# once per event either way.  mdevctl runs it as
#   mtty -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT  <JSON
# Exit 2: not an mtty device (parent is not "mtty"), mdevctl tries the next
# script.  For mtty devices:
#   get/capabilities  (mdevctl >= 1.3, on every run) stdin: {"provides":
#       {"version":N,"actions":[...],"events":[...]}}; prints {"supports":
#       ...} with the actions and events of that list it handles (all of
#       version 2), which makes it the device type's versioned script
#   get/attributes    prints the running device's attributes: no stdin;
#       [{"backend":"tty"}] for a device with that backend, else []
#   pre define/modify/start  checks that the type exists, that the
#       attributes are at most one "backend" of "loopback" or "tty" (the
#       mdev's sysfs attribute; mdevctl writes it after creating the
#       device) and, for start, that the driver is loaded and the port pool
#       has room; exit 1 with a message on stderr aborts the mdevctl command
#       (unless mdevctl --force)
#   live modify       (mdevctl modify --live, >= 1.3) the running device's
#       new configuration: checked like in pre, then its backend (loopback
#       without the attribute) is written to the device; refused while a
#       user (a VM) has the device open
#   anything else (post, notify, stop, undefine, unknown events): exit 0
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
SYSFS=${MTTY_SYSFS:-/sys}
PARENT_DIR=$SYSFS/class/mdev_bus/mtty
KNOWN_TYPES="mtty-1 mtty-2"

type='' event='' action='' parent='' uuid=''
while getopts t:e:a:s:u:p: opt; do
	case $opt in
	t) type=$OPTARG ;;
	e) event=$OPTARG ;;
	a) action=$OPTARG ;;
	s) ;;
	u) uuid=$OPTARG ;;
	p) parent=$OPTARG ;;
	*) ;;
	esac
done

# The device JSON (or, for get/capabilities, the versioning JSON) comes on
# stdin except for get/attributes: always drain it so that mdevctl never
# writes into a closed pipe.
json=
[ "$event/$action" = get/attributes ] || json=$(cat)

[ "$parent" = mtty ] || exit 2

fail() {
	echo "$*" >&2
	exit 1
}

types() {
	if [ -d "$PARENT_DIR/mdev_supported_types" ]; then
		for t in "$PARENT_DIR/mdev_supported_types/"*; do
			[ -d "$t" ] && printf '%s ' "${t##*/}"
		done
	else
		printf "%s " "$KNOWN_TYPES"
	fi
}

# json_list KEY: the strings of the array "KEY":[...] of $json, one a line
json_list() {
	printf '%s' "$json" | tr -d ' \t\r\n' |
		sed -n "s/.*\"$1\":\[\([^]]*\)\].*/\1/p" | tr ',' '\n' |
		sed -n 's/^"\([a-z0-9_-]*\)"$/\1/p'
}

# capabilities: answer mdevctl's versioning request
capabilities() {
	ver=$(printf '%s' "$json" | tr -d ' \t\r\n' |
		sed -n 's/.*"provides":{[^}]*"version":\([0-9][0-9]*\).*/\1/p')
	[ -n "$ver" ] || fail "get capabilities: no provides.version on stdin"
	[ "$ver" -gt 2 ] && ver=2
	acts=$(json_list actions | grep -x -E 'start|stop|define|undefine|modify|attributes|capabilities' |
		sed 's/.*/"&"/' | paste -sd, -)
	evs=$(json_list events | grep -x -E 'pre|post|notify|get|live' |
		sed 's/.*/"&"/' | paste -sd, -)
	printf '{"supports":{"version":%s,"actions":[%s],"events":[%s]}}\n' "$ver" "$acts" "$evs"
}

case $event/$action in
get/capabilities)
	capabilities
	exit 0
	;;
get/attributes)
	case $uuid in
	*/* | .*) uuid= ;;
	esac
	if [ -n "$uuid" ] &&
		[ "$(cat "$SYSFS/bus/mdev/devices/$uuid/backend" 2>/dev/null)" = tty ]; then
		echo '[{"backend":"tty"}]'
	else
		echo '[]'
	fi
	exit 0
	;;
pre/define | pre/modify | pre/start | live/modify) ;;
*) exit 0 ;;
esac

avail=$(types)
case " $avail" in
*" $type "*) ;;
*) fail "unknown mtty device type '$type' (mtty types: ${avail% }); see mdevctl types" ;;
esac

compact=$(printf '%s' "$json" | tr -d ' \t\r\n')
backend='loopback'
case $compact in
*'"attrs":'*)
	attrs=$(printf '%s' "$compact" | sed -n 's/.*"attrs":\[\([^]]*\)\].*/<\1>/p')
	case $attrs in
	'<>' | '<{}>') ;;
	'<{"backend":"loopback"}>') ;;
	'<{"backend":"tty"}>') backend='tty' ;;
	*'"backend"'*) fail "mtty attribute backend: one entry, loopback or tty (got ${attrs:-unreadable attrs})" ;;
	*) fail "mtty devices take one attribute, backend (loopback or tty); remove the others (mdevctl modify --delattr)" ;;
	esac
	;;
esac

if [ "$event/$action" = live/modify ]; then
	case $uuid in
	'' | */* | .*) fail "live modify: no device uuid" ;;
	esac
	f=$SYSFS/bus/mdev/devices/$uuid/backend
	if [ ! -e "$f" ]; then
		[ "$backend" = loopback ] && exit 0
		fail "live modify: $uuid is not running with an mtty driver that has backends"
	fi
	[ "$(cat "$f")" = "$backend" ] && exit 0
	if ! (printf '%s\n' "$backend" >"$f") 2>/dev/null; then
		fail "live modify: cannot set backend $backend while a user (a VM) has $uuid open; stop the VM first"
	fi
	exit 0
fi

[ "$event/$action" = pre/start ] || exit 0

if [ ! -d "$PARENT_DIR" ]; then
	fail "the mtty driver is not loaded; start it with: systemctl start mtty"
fi
n=$(cat "$PARENT_DIR/mdev_supported_types/$type/available_instances" 2>/dev/null || echo 0)
if [ "$n" -lt 1 ]; then
	mp=$(cat "$SYSFS/module/mtty/parameters/max_ports" 2>/dev/null || echo '?')
	fail "no room for another $type device: the mtty port pool (max_ports=$mp) is" \
		"full; stop a device (mdevctl stop -u UUID) or raise max_ports in" \
		"/etc/modprobe.d/mtty.conf and restart mtty"
fi
exit 0
