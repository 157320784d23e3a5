"""The size of a benchmark database's data set, the x axis of the growth table.

    python3 -m bench.dataset -c ODOO_CONF -d DB [--size large]

Counts, by plain SQL, what the costs measured by the benchmarks grow with: customers
(commercial partners with a customer rank), confirmed orders and their lines, posted customer
invoices and credit notes, opportunities (open ones apart), messages, products and warehouses.
Writes a JSON line to bench/results/<size>/dataset.json.
"""

from . import common

COUNTS = {
    "customers": "SELECT count(*) FROM res_partner"
    " WHERE id = commercial_partner_id AND customer_rank > 0",
    "confirmed_orders": "SELECT count(*) FROM sale_order WHERE state = 'sale'",
    "order_lines": "SELECT count(*) FROM sale_order_line WHERE state = 'sale'",
    "invoices": "SELECT count(*) FROM account_move"
    " WHERE move_type IN ('out_invoice', 'out_refund') AND state = 'posted'",
    "opportunities": "SELECT count(*) FROM crm_lead WHERE type = 'opportunity'",
    "open_opportunities": "SELECT count(*) FROM crm_lead"
    " WHERE type = 'opportunity' AND active AND probability > 0 AND probability < 100",
    "messages": "SELECT count(*) FROM mail_message",
    "products": "SELECT count(*) FROM product_product",
    "warehouses": "SELECT count(*) FROM stock_warehouse",
}


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    with common.odoo_env(args) as env:
        result = {"benchmark": "dataset"}
        for name, query in COUNTS.items():
            env.cr.execute(query)
            result[name] = env.cr.fetchone()[0]
    common.record("dataset", result, args)


if __name__ == "__main__":
    main()
