"""Benchmark: the 360-degree timeline against the Odoo-native way of seeing the same history.

    python3 -m bench.bench_timeline -c ODOO_CONF -d DB [--size large] [--sample 200]

On the database's data (the `large` set: over a million timeline rows), prints the number of
timeline rows, the time of a grouped count of the whole timeline by kind and month (the
manager's view) against one grouped read per source model (the Odoo-native way), and the time
to open one customer's timeline (its rows counted by kind, as the smart button and the grouped
list do) over a sample of customers against the Odoo-native way: the customer's documents
model by model and the messages in each of their chatters, as a user opening each would.
The same customer timeline and manager's view are then measured as a salesperson with *Own
Documents Only* (the busiest one of the data set, restricted for the run and rolled back), ours
(every row checked against the user's own rules of its document) against the native reads as
that user, on customers that salesperson sells to.
Since the timeline is a table kept up to date by triggers, the run also measures what keeping
it costs the writes: confirming orders and posting messages with the triggers on and off (in
the same transaction, rolled back), and reading rows by id as the salesperson.
Writes a JSON line to bench/results/<size>/timeline.json.
"""

import statistics
import time

from . import common


def _native_customer_history(env, partner):
    """The customer's history the Odoo-native way: its documents model by model, and the
    messages on the customer and on each of those documents (the chatters a user would open),
    and its meetings."""
    family = [("partner_id", "child_of", partner.id)]
    documents = {
        "sale.order": env["sale.order"].search([*family, ("state", "=", "sale")]),
        "account.move": env["account.move"].search(
            [*family, ("move_type", "in", ("out_invoice", "out_refund")),
             ("state", "=", "posted")]),
        "account.payment": env["account.payment"].search(family),
        "stock.picking": env["stock.picking"].search(family),
        "crm.lead": env["crm.lead"].search([*family, ("type", "=", "opportunity")]),
        "res.partner": env["res.partner"].search([("id", "child_of", partner.id)]),
    }  # fmt: skip
    messages = sum(
        env["mail.message"].search_count(
            [("model", "=", model), ("res_id", "in", records.ids),
             ("message_type", "in", ("email", "comment", "email_outgoing"))]
        )
        for model, records in documents.items()
        if model != "account.payment"
    )  # fmt: skip
    meetings = env["calendar.event"].search_count(
        [("partner_ids", "in", documents["res.partner"].ids)]
    )
    return sum(len(records) for records in documents.values()) + messages + meetings


def _native_manager_view(env):
    """Interactions by month the Odoo-native way: one grouped read per source model."""
    groups = 0
    for model, date, domain in (
        ("sale.order", "date_order", [("state", "=", "sale")]),
        ("account.move", "invoice_date", [("move_type", "in", ("out_invoice", "out_refund")),
                                          ("state", "=", "posted")]),
        ("account.payment", "date", [("partner_type", "=", "customer")]),
        ("stock.picking", "date_done", [("state", "=", "done")]),
        ("crm.lead", "create_date", [("type", "=", "opportunity")]),
        ("mail.message", "date", [("message_type", "in", ("email", "comment"))]),
        ("calendar.event", "start", []),
    ):  # fmt: skip
        groups += len(env[model]._read_group(domain, [f"{date}:month"], ["__count"]))
    return groups


def _customer_timeline_times(env, partners):
    """Per customer: seconds to count its timeline by kind (ours) and its history the native
    way, both as ``env``'s user."""
    Timeline = env["crm.relational.timeline"]
    ours, native = [], []
    for partner in partners.with_env(env):
        started = time.perf_counter()
        ours_count = sum(
            count for _kind, count in Timeline._read_group(
                [("partner_id", "=", partner.id)], ["kind"], ["__count"])
        )  # fmt: skip
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        native_count = _native_customer_history(env, partner)
        native.append(time.perf_counter() - started)
        assert ours_count >= 0 and native_count >= 0
    return ours, native


def _own_documents_salesperson(env):
    """The salesperson with the most confirmed orders, left with *Own Documents Only* on
    sales and invoicing (the caller rolls it back), and up to 200 of their customers."""
    from odoo import Command

    env.cr.execute(
        """SELECT so.user_id FROM sale_order so JOIN res_users u ON u.id = so.user_id
            WHERE so.state = 'sale' AND u.active AND NOT u.share
            GROUP BY so.user_id ORDER BY count(*) DESC LIMIT 1"""
    )
    user = env["res.users"].browse(env.cr.fetchone()[0])
    groups = env.ref("sales_team.group_sale_salesman") | env.ref("account.group_account_invoice")
    user.group_ids = [Command.set(groups.ids)]
    assert not user.has_group("sales_team.group_sale_salesman_all_leads")
    env.cr.execute(
        """SELECT DISTINCT p.commercial_partner_id FROM sale_order so
             JOIN res_partner p ON p.id = so.partner_id
            WHERE so.user_id = %s AND so.state = 'sale'
            ORDER BY 1 LIMIT 200""",
        [user.id],
    )
    env.flush_all()
    return user, env["res.partner"].browse([row[0] for row in env.cr.fetchall()])


def _read_by_id_times(env, partners):
    """Per customer: seconds to read its timeline rows by id (as a list view's ``web_read``
    does after its search), as ``env``'s user."""
    Timeline = env["crm.relational.timeline"]
    times = []
    for partner in partners:
        ids = Timeline.search([("partner_id", "=", partner.id)], limit=80).ids
        Timeline.invalidate_model()
        started = time.perf_counter()
        Timeline.browse(ids).read(["date", "kind", "name", "amount"])
        times.append(time.perf_counter() - started)
    return times


def _write_times(env, partners):
    """Seconds to confirm an order and to post a message, per customer, with the timeline's
    triggers on for every other customer and off for the others (``SYNC_SETTING``, for this
    transaction only): ``{True: (orders, messages), False: (orders, messages)}``."""
    from odoo import Command
    from odoo.tools import SQL

    from odoo.addons.crm_relational.report.crm_relational_timeline import SYNC_SETTING

    product = env["product.product"].search([("sale_ok", "=", True)], limit=1)
    times = {True: ([], []), False: ([], [])}
    for number, partner in enumerate(partners):
        on = bool(number % 2)
        env.cr.execute(SQL("SELECT set_config(%s, %s, TRUE)", SYNC_SETTING, "on" if on else "off"))
        orders, messages = times[on]
        started = time.perf_counter()
        order = env["sale.order"].create(
            {"partner_id": partner.id,
             "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})]}
        )  # fmt: skip
        order.action_confirm()
        env.flush_all()
        orders.append(time.perf_counter() - started)
        started = time.perf_counter()
        partner.message_post(
            body="Benchmark", message_type="email", author_id=partner.id,
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        env.flush_all()
        messages.append(time.perf_counter() - started)
    return times


def main(argv=None):
    parser = common.parser(__doc__)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args(argv)

    with common.odoo_env(args) as env:
        cr = env.cr
        Timeline = env["crm.relational.timeline"]
        started = time.perf_counter()
        rows = Timeline.search_count([])
        count_seconds = time.perf_counter() - started

        started = time.perf_counter()
        groups = Timeline._read_group([], ["kind", "date:month"], ["__count"])
        grouped_seconds = time.perf_counter() - started
        started = time.perf_counter()
        _native_manager_view(env)
        native_grouped_seconds = time.perf_counter() - started

        cr.execute(
            "SELECT id FROM res_partner WHERE id = commercial_partner_id AND customer_rank > 0"
            " ORDER BY id LIMIT %s",
            [args.sample],
        )
        partners = env["res.partner"].browse([row[0] for row in cr.fetchall()])
        ours, native = _customer_timeline_times(env, partners)

        rep, rep_partners = _own_documents_salesperson(env)
        rep_env = env(user=rep)
        rep_ours, rep_native = _customer_timeline_times(rep_env, rep_partners)
        started = time.perf_counter()
        rep_Timeline = rep_env["crm.relational.timeline"]
        rep_groups = rep_Timeline._read_group([], ["kind", "date:month"], ["__count"])
        rep_grouped_seconds = time.perf_counter() - started
        started = time.perf_counter()
        _native_manager_view(rep_env)
        rep_native_grouped_seconds = time.perf_counter() - started
        rep_read_by_id = _read_by_id_times(rep_env, rep_partners.with_env(rep_env)[:50])
        cr.rollback()

        writes = _write_times(env, partners[:40])
        (orders_on, messages_on), (orders_off, messages_off) = writes[True], writes[False]
        cr.rollback()

    result = {
        "benchmark": "timeline",
        "timeline_rows": rows,
        "count_all_s": round(count_seconds, 2),
        "group_by_kind_and_month_s": round(grouped_seconds, 2),
        "groups": len(groups),
        "native_group_by_month_per_model_s": round(native_grouped_seconds, 2),
        "sample_customers": len(partners),
        "customer_timeline_p50_ms": round(statistics.median(ours) * 1000, 1),
        "customer_timeline_p95_ms": round(sorted(ours)[int(len(ours) * 0.95) - 1] * 1000, 1),
        "native_per_model_counts_p50_ms": round(statistics.median(native) * 1000, 1),
        "native_per_model_counts_p95_ms": round(
            sorted(native)[int(len(native) * 0.95) - 1] * 1000, 1
        ),
        "ratio_customer_p50": round(statistics.median(native) / statistics.median(ours), 1),
        "ratio_manager_view": round(native_grouped_seconds / grouped_seconds, 1),
        # The same as a salesperson with Own Documents Only: every row checked against that
        # user's rules of its document, against the native reads as that user.
        "own_documents_sample_customers": len(rep_partners),
        "own_documents_customer_p50_ms": round(statistics.median(rep_ours) * 1000, 1),
        "own_documents_native_customer_p50_ms": round(statistics.median(rep_native) * 1000, 1),
        "own_documents_ratio_customer_p50": round(
            statistics.median(rep_native) / statistics.median(rep_ours), 1
        ),
        "own_documents_group_by_kind_and_month_s": round(rep_grouped_seconds, 2),
        "own_documents_groups": len(rep_groups),
        "own_documents_native_group_by_month_s": round(rep_native_grouped_seconds, 2),
        "own_documents_ratio_manager_view": round(
            rep_native_grouped_seconds / rep_grouped_seconds, 1
        ),
        "own_documents_read_80_rows_by_id_p50_ms": round(
            statistics.median(rep_read_by_id) * 1000, 1
        ),
        # What keeping the table costs the writes (same run, triggers on and off).
        "confirm_order_p50_ms": round(statistics.median(orders_on) * 1000, 1),
        "confirm_order_without_triggers_p50_ms": round(statistics.median(orders_off) * 1000, 1),
        "post_message_p50_ms": round(statistics.median(messages_on) * 1000, 1),
        "post_message_without_triggers_p50_ms": round(statistics.median(messages_off) * 1000, 1),
    }
    common.record("timeline", result, args)


if __name__ == "__main__":
    main()
