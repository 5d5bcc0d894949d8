#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# clasp_close_test over IPv6: AF_INET6 sockets and ::1 (clasp_family()).
exec env CLASP_FAMILY=6 "$(dirname "$0")/clasp_close_test" "$@"
