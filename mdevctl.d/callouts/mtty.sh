#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# mdevctl call-out for mtty devices, installed as
# /usr/lib/mtty/mdevctl-callout and linked from
# /etc/mdevctl.d/scripts.d/callouts/mtty (the call-out directory of
# mdevctl 1.2.0).  mdevctl runs it as
#   mtty -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT  <device JSON
# Exit 2: not an mtty device (parent is not "mtty"), mdevctl tries the next
# script.  For mtty devices, before define/modify/start ("pre" event) it
# checks that the type exists, that the device has no attributes (mtty has
# none) and, for start, that the driver is loaded and the port pool has room;
# exit 1 with a message on stderr aborts the mdevctl command.  "get" returns
# the (empty) attribute list.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
SYSFS=${MTTY_SYSFS:-/sys}
PARENT_DIR=$SYSFS/class/mdev_bus/mtty
KNOWN_TYPES="mtty-1 mtty-2"

type='' event='' action='' parent=''
while getopts t:e:a:s:u:p: opt; do
	case $opt in
	t) type=$OPTARG ;;
	e) event=$OPTARG ;;
	a) action=$OPTARG ;;
	s) ;;
	u) ;;
	p) parent=$OPTARG ;;
	*) ;;
	esac
done

# The device JSON comes on stdin except for "get": always drain it so that
# mdevctl never writes into a closed pipe.
json=
[ "$event" = get ] || json=$(cat)

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

case $event in
get)
	# mtty devices have no attributes
	echo '[]'
	exit 0
	;;
pre) ;;
*) exit 0 ;;
esac

case $action in
define | modify | start) ;;
*) exit 0 ;;
esac

avail=$(types)
case " $avail" in
*" $type "*) ;;
*) fail "unknown mtty device type '$type' (mtty types: ${avail% }); see mdevctl types" ;;
esac

compact=$(printf '%s' "$json" | tr -d ' \t\r\n')
case $compact in
*'"attrs":[]'* | *'"attrs":[{}]'*) ;;
*'"attrs":'*) fail "mtty devices take no attributes; remove them (mdevctl modify --delattr)" ;;
esac

[ "$action" = start ] || exit 0

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
