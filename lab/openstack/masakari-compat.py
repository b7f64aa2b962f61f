#!/usr/bin/python3
# Starts masakari-api or masakari-engine with one fix for Debian 12's package combination: every POST to
# the API answers 500 "read_deleted can only be one of 'no', 'yes' or 'only', not None", because
# oslo.messaging 14.0.3's context handling hands masakari's RequestContext read_deleted=None. Here None
# means the default, 'no' (what masakari's own to_dict() falls back to). Nothing else is changed.
#   masakari-compat.py masakari-api|masakari-engine ARGS…
import sys

import masakari.context as context

_set = context.RequestContext._set_read_deleted
context.RequestContext.read_deleted = property(
    context.RequestContext._get_read_deleted,
    lambda self, value: _set(self, "no" if value is None else value),
    context.RequestContext._del_read_deleted,
)

name = sys.argv.pop(1)
sys.argv[0] = name
if name == "masakari-api":
    from masakari.cmd.api import main
elif name == "masakari-engine":
    from masakari.cmd.engine import main
else:
    sys.exit(f"masakari-compat: unknown service {name}")
sys.exit(main())
