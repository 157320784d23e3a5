"""Fields the system keeps, in one place.

The ticket form shows these read-only because the system sets them: they decide whether a
service level was met (the first reply, the levels' states and deadlines), how often a ticket
came back, and why routing gave it to whom. Over RPC, import included, only helpdesk managers
(and the superuser) may write them; anyone else gets an ``AccessError``. The system's own code
writes them through ``system_env``: its context carries a Python object that no RPC call can
send (JSON has no such value), so a caller cannot claim to be the system.
"""

from odoo.exceptions import AccessError

SYSTEM_FIELDS = {
    "helpdesk.ticket": (
        "relational_first_response_date",
        "relational_reopen_count",
        "relational_routing_note",
        "relational_used_article_ids",
        "relational_lead_id",
        # helpdesk_mgmt's own dates, set by its write: when the ticket was assigned, last
        # changed stage and closed (resolution times and the timeline's open/closed state).
        "assigned_date",
        "last_stage_update",
        "closed_date",
    ),
    # OCA's per-ticket service levels: whether each was met, by when, time consumed so far.
    "helpdesk.ticket.sla": (
        "state",
        "deadline",
        "consumed_time",
        "last_state_date",
        "hours",
        "expected_stage_id",
        "relational_escalated",
        "ticket_id",
        "sla_id",
    ),
}
MANAGER_GROUP = "helpdesk_mgmt.group_helpdesk_manager"
_CONTEXT_KEY = "crm_relational_service_system"
# Compared by identity: a JSON-RPC context can hold strings, numbers, lists, never this object.
_SYSTEM = object()


def system_env(records):
    """``records`` in an environment allowed to write the system fields (the user's access
    rights and record rules still apply)."""
    return records.with_context(**{_CONTEXT_KEY: _SYSTEM})


def is_system(records):
    """Whether ``records`` may write system fields: the system's own code, the superuser or a
    helpdesk manager."""
    env = records.env
    return (
        env.context.get(_CONTEXT_KEY) is _SYSTEM
        or env.su
        or env.user._is_superuser()
        or env.user.has_group(MANAGER_GROUP)
    )


def check_system_fields(records, field_names):
    """Refuse (``AccessError``) writing any system field among ``field_names`` to anyone but
    the system and helpdesk managers."""
    protected = [name for name in SYSTEM_FIELDS.get(records._name, ()) if name in field_names]
    if not protected or is_system(records):
        return
    labels = ", ".join(
        f"“{records._fields[name]._description_string(records.env)}”" for name in protected
    )
    raise AccessError(
        records.env._(
            "%(fields)s of %(model)s are set by the system (service levels and routing "
            "depend on them); only helpdesk managers may change them.",
            fields=labels,
            model=records.env["ir.model"]._get(records._name).name,
        )
    )
