from . import controllers
from . import models
from . import wizard
from . import report


def uninstall_hook(env):
    """Drop what the timeline keeps outside Odoo's tables: the triggers on the sources' tables
    that keep it up to date, their functions, and the view it follows."""
    from odoo.tools import drop_view_if_exists

    timeline = env["crm.relational.timeline"]
    timeline._timeline_drop_triggers()
    drop_view_if_exists(env.cr, timeline._timeline_source_view())
