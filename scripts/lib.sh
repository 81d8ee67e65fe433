# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the vmmgmt scripts.  Source it; do not run it.

VMMGMT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VMMGMT_BUILD=${VMMGMT_BUILD:-$VMMGMT_TOP/build}
KSRC=${KSRC:-/usr/src/linux-source-6.12}

msg() { printf '%s\n' "$*"; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# kver_of SERIES: the newest installed Debian cloud kernel of a series
# ("6.1" or "6.12"), as its uname -r string; empty if none is installed.
kver_of() {
	local series=$1 v
	v=$(ls /boot/vmlinuz-"$series".*-cloud-amd64 2>/dev/null |
		sed 's,^/boot/vmlinuz-,,' | sort -V | tail -n 1)
	printf '%s' "$v"
}

# kdir_of KVER: the headers directory for KVER.
kdir_of() {
	printf '/usr/src/linux-headers-%s' "$1"
}

# Every kernel series the project supports.
VMMGMT_SERIES="6.1 6.12"
