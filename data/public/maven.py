"""Load the Maven Analytics "CRM Sales Opportunities" pipeline into Odoo as Odoo records it.

    python3 -m data.public.maven -c ODOO_CONF -d DB --csv /work/public-data/maven

``--csv`` is the folder holding ``sales_pipeline.csv``, ``accounts.csv``, ``products.csv`` and
``sales_teams.csv`` (or the path of ``sales_pipeline.csv`` next to the other three). The database
needs ``crm_relational_sfa`` installed; the deals go into its main company, once (a second run is
refused). ``load(env, folder)`` does the same inside an open environment without committing, so
tests can roll it back.

How each deal is recorded (every document through the ORM, with tracking on; Odoo stamps the
moment of each change with "now", so those columns and the messages' dates are moved back to
the real days with SQL afterwards, on what the ORM wrote):

- a sales team per regional office, a salesperson (user) per agent, a customer company per
  account (country and sector from ``accounts.csv``), a service product per product at its
  list price, without taxes, so an order's amount is the deal's value;
- each Engaging, Won or Lost deal: an opportunity of the agent (and the agent's team) for the
  account, created at its ``engage_date`` (09:00 UTC) in the stage "Engaging", expected revenue
  the product's list price, no expected closing date (the data has none);
- won: its expected revenue set to ``close_value`` and ``action_set_won()`` on its
  ``close_date`` (16:00 UTC): the stage change to the won stage is tracked on that day, and
  ``date_closed`` and ``date_last_stage_update`` are that moment; a confirmed sale order of the
  customer for the product at ``close_value``, dated that day and linked to the opportunity,
  so the customer's purchase history exists;
- lost: ``action_set_lost()`` on its ``close_date``: archived, probability 0, no stage change
  (it stays in "Engaging"), the archiving tracked on that day, ``date_closed`` that moment;
- Engaging deals stay open; Prospecting deals are left out: the data gives them no date at
  all, and a deal created "now" would sit years after the rest of the history and leak into
  every as-of-a-cutoff replay;
- ``crm.pls_start_date`` is set to the first engage date, and Odoo's predictive lead scoring
  job is run once at the end, as its nightly job would, so Odoo's own probabilities count the
  whole history.

The source files spell one product two ways (``GTXPro`` in the pipeline, ``GTX Pro`` in the
product list): names are matched without spaces. Dates are read as ISO ``YYYY-MM-DD`` or as
``M/D/YYYY`` (some public copies were re-saved by a spreadsheet).
"""

import argparse
import csv
import logging
import os
import threading
import time
from collections import Counter, defaultdict
from datetime import date, datetime
from datetime import time as clock

from odoo.fields import Command
from odoo.tools import SQL

LOADED_PARAMETER = "crm_relational.public_maven_loaded"
FILES = {
    "sales_pipeline": (
        "opportunity_id", "sales_agent", "product", "account", "deal_stage",
        "engage_date", "close_date", "close_value",
    ),
    "accounts": ("account", "sector", "office_location"),
    "products": ("product", "series", "sales_price"),
    "sales_teams": ("sales_agent", "manager", "regional_office"),
}  # fmt: skip
STAGES = ("Prospecting", "Engaging", "Won", "Lost")
ENGAGING = "Engaging"
CREATED_AT = clock(9, 0)
CLOSED_AT = clock(16, 0)
BATCH = 500
# Quiet for everything that is not a deal: no creation messages or followers on partners,
# users, products; the opportunities and orders are created with their tracking on.
QUIET = {
    "tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
    "mail_create_nosubscribe": True, "mail_auto_subscribe_no_notify": True,
    "no_reset_password": True,
}  # fmt: skip
TRACKED = {"mail_create_nosubscribe": True, "mail_auto_subscribe_no_notify": True}


class LoadError(ValueError):
    """The files cannot be loaded as they are: the message says which file and what."""


def product_key(name):
    """A product name as the files can be matched on (``GTXPro`` and ``GTX Pro`` agree)."""
    return "".join(name.split()).casefold()


def parse_day(text, where):
    """A day written ``YYYY-MM-DD`` or ``M/D/YYYY``; None when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        if "/" in text:
            month, day, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError as error:
        raise LoadError(f"{where}: {text!r} is not a date (YYYY-MM-DD or M/D/YYYY)") from error


def parse_amount(text, where):
    try:
        return float(text.strip() or 0)
    except ValueError as error:
        raise LoadError(f"{where}: {text!r} is not an amount") from error


def read_files(path):
    """The four files as lists of dicts, each checked for its columns."""
    folder = os.path.dirname(path) if os.path.isfile(path) else path
    tables = {}
    for name, columns in FILES.items():
        file_path = os.path.join(folder, f"{name}.csv")
        if not os.path.isfile(file_path):
            raise LoadError(f"{file_path}: not found (the loader needs {', '.join(FILES)}.csv)")
        with open(file_path, newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise LoadError(f"{file_path}: missing column(s) {', '.join(missing)}")
            tables[name] = [
                {key: (value or "").strip() for key, value in row.items() if key} for row in reader
            ]
    return tables


def read_deals(tables):
    """The deals to load (all but Prospecting), checked against the other files."""
    agents = {row["sales_agent"] for row in tables["sales_teams"]}
    accounts = {row["account"] for row in tables["accounts"]}
    products = {product_key(row["product"]) for row in tables["products"]}
    deals, skipped = [], Counter()
    for number, row in enumerate(tables["sales_pipeline"], start=2):
        where = f"sales_pipeline.csv line {number}"
        stage = row["deal_stage"]
        if stage not in STAGES:
            raise LoadError(f"{where}: unknown deal_stage {stage!r} (expected {STAGES})")
        if stage == "Prospecting":
            skipped["prospecting"] += 1
            continue
        engaged = parse_day(row["engage_date"], where)
        closed = parse_day(row["close_date"], where)
        if engaged is None:
            raise LoadError(f"{where}: a {stage} deal without engage_date")
        if (stage in ("Won", "Lost")) != (closed is not None):
            raise LoadError(f"{where}: close_date must be given for Won and Lost deals only")
        if closed is not None and closed < engaged:
            raise LoadError(f"{where}: close_date {closed} is before engage_date {engaged}")
        if row["sales_agent"] not in agents:
            raise LoadError(f"{where}: sales agent {row['sales_agent']!r} not in sales_teams.csv")
        if product_key(row["product"]) not in products:
            raise LoadError(f"{where}: product {row['product']!r} not in products.csv")
        if row["account"] and row["account"] not in accounts:
            raise LoadError(f"{where}: account {row['account']!r} not in accounts.csv")
        if stage == "Won" and not row["account"]:
            raise LoadError(f"{where}: a won deal without account")
        deals.append(
            {
                "ref": row["opportunity_id"],
                "agent": row["sales_agent"],
                "product": product_key(row["product"]),
                "account": row["account"],
                "stage": stage,
                "engaged": engaged,
                "closed": closed,
                "value": parse_amount(row["close_value"], where),
            }
        )
    if not deals:
        raise LoadError("sales_pipeline.csv: no Engaging, Won or Lost deal to load")
    return deals, skipped


def login_of(name):
    return ".".join(name.casefold().split()) + "@maven.example.com"


def set_dates(env, table, column, values):
    """``UPDATE table SET column = value`` for many rows at once (values: {id: datetime})."""
    if not values:
        return
    ids, moments = zip(*sorted(values.items()), strict=True)
    env.cr.execute(
        SQL(
            "UPDATE %s t SET %s = v.moment FROM unnest(%s::int[], %s::timestamp[]) AS v(id, moment)"
            " WHERE t.id = v.id",
            SQL.identifier(table),
            SQL.identifier(column),
            list(ids),
            list(moments),
        )
    )


class MavenLoader:
    """Loads the Maven pipeline into the main company of `env` (no commit)."""

    def __init__(self, env, tables):
        self.env = env(context={**env.context, **QUIET})
        self.company = self.env.company
        self.tables = tables
        self.deals, self.skipped = read_deals(tables)
        self.counts = {}

    def load(self):
        parameters = self.env["ir.config_parameter"]
        if parameters.get_param(LOADED_PARAMETER):
            raise LoadError(
                f"this database already holds the Maven pipeline (loaded on "
                f"{parameters.get_param(LOADED_PARAMETER)}); load it into a fresh database"
            )
        first = min(deal["engaged"] for deal in self.deals)
        # Odoo's predictive lead scoring counts only the opportunities created since this day.
        parameters.set_param("crm.pls_start_date", first.isoformat())
        self._teams_and_salespeople()
        self._customers()
        self._products()
        self._opportunities()
        self._won_lost()
        self._date_everything()
        parameters.set_param(LOADED_PARAMETER, date.today().isoformat())
        # Odoo's nightly scoring job, as it would run on this history (outside tests it commits
        # its updates: the load is complete by then).
        self.env["crm.lead"]._cron_update_automated_probabilities()
        self.counts["prospecting_left_out"] = self.skipped["prospecting"]
        return self.counts

    # ------------------------------------------------------------------ master data
    def _teams_and_salespeople(self):
        """A sales team per regional office; a salesperson per agent, a member of its team."""
        Users = self.env["res.users"]
        group = self.env.ref("sales_team.group_sale_salesman")
        rows = self.tables["sales_teams"]
        self.users = {}
        for row in rows:
            login = login_of(row["sales_agent"])
            user = Users.search([("login", "=", login)], limit=1) or Users.create(
                {
                    "name": row["sales_agent"],
                    "login": login,
                    "email": login,
                    # Notified in Odoo, not by e-mail: loading history sends nobody anything.
                    "notification_type": "inbox",
                    "group_ids": [Command.link(group.id)],
                    "company_id": self.company.id,
                    "company_ids": [Command.link(self.company.id)],
                }
            )
            self.users[row["sales_agent"]] = user
        members = defaultdict(list)
        for row in rows:
            members[row["regional_office"]].append(self.users[row["sales_agent"]].id)
        Team = self.env["crm.team"]
        self.teams = {}
        for office, user_ids in members.items():
            team = Team.search(
                [("name", "=", office), ("company_id", "=", self.company.id)], limit=1
            ) or Team.create(
                {"name": office, "company_id": self.company.id, "use_opportunities": True}
            )
            team.member_ids = [Command.link(user_id) for user_id in user_ids]
            self.teams[office] = team
        self.team_of = {row["sales_agent"]: self.teams[row["regional_office"]] for row in rows}
        self.counts["sales_teams"] = len(self.teams)
        self.counts["salespeople"] = len(self.users)

    def _customers(self):
        """A customer company per account, with its country and sector."""
        rows = self.tables["accounts"]
        names = {row["office_location"] for row in rows if row["office_location"]}
        # The files spell one country as the Philippines' old spelling.
        aliases = {"Philipines": "Philippines", "Korea": "South Korea"}
        countries = {}
        Country = self.env["res.country"]
        for name in names:
            countries[name] = Country.search(
                [("name", "=ilike", aliases.get(name, name))], limit=1
            ) or Country.search([("name", "ilike", aliases.get(name, name))], limit=1)
        Industry = self.env["res.partner.industry"]
        industries = {}
        for sector in sorted({row["sector"] for row in rows if row["sector"]}):
            label = sector.replace("technolgy", "technology").capitalize()
            industries[sector] = Industry.search([("name", "=ilike", label)], limit=1) or (
                Industry.create({"name": label})
            )
        partners = self.env["res.partner"].create(
            [
                {
                    "name": row["account"],
                    "is_company": True,
                    "customer_rank": 1,
                    "country_id": countries.get(row["office_location"], Country).id,
                    "industry_id": industries.get(row["sector"], Industry).id,
                    "company_id": False,
                }
                for row in rows
            ]
        )
        self.partners = {row["account"]: p for row, p in zip(rows, partners, strict=True)}
        self.counts["customers"] = len(partners)

    def _products(self):
        """A service product per product (no delivery in the data), list price, no taxes."""
        rows = self.tables["products"]
        categories = {}
        for series in sorted({row["series"] for row in rows}):
            categories[series] = self.env["product.category"].create({"name": series})
        templates = self.env["product.template"].create(
            [
                {
                    "name": row["product"],
                    "type": "service",
                    "categ_id": categories[row["series"]].id,
                    "list_price": parse_amount(row["sales_price"], "products.csv"),
                    "taxes_id": [Command.clear()],
                    "company_id": self.company.id,
                }
                for row in rows
            ]
        )
        self.products = {
            product_key(row["product"]): template.product_variant_id
            for row, template in zip(rows, templates, strict=True)
        }
        self.counts["products"] = len(templates)

    # ------------------------------------------------------------------ deals
    def _stage(self):
        """The open stage the deals are in: "Engaging", created for every team if missing."""
        Stage = self.env["crm.stage"]
        stage = Stage.search([("name", "=", ENGAGING), ("is_won", "=", False)], limit=1)
        if not stage:
            first = Stage.search([("is_won", "=", False)], order="sequence, id", limit=1)
            stage = Stage.create({"name": ENGAGING, "sequence": (first.sequence or 0) + 1})
        return stage

    def _opportunities(self):
        """Every deal created as an opportunity in "Engaging", creation logged by Odoo."""
        self.stage = self._stage()
        Lead = self.env["crm.lead"].with_context(
            tracking_disable=False, mail_notrack=False, mail_create_nolog=False, **TRACKED
        )
        leads = Lead.browse()
        for start in range(0, len(self.deals), BATCH):
            batch = self.deals[start : start + BATCH]
            leads |= Lead.create(
                [
                    {
                        "name": f"{deal['account'] or 'Unknown account'} - "
                        f"{self.products[deal['product']].name} ({deal['ref']})",
                        "type": "opportunity",
                        "partner_id": self.partners[deal["account"]].id
                        if deal["account"]
                        else False,
                        "user_id": self.users[deal["agent"]].id,
                        "team_id": self.team_of[deal["agent"]].id,
                        "company_id": self.company.id,
                        "stage_id": self.stage.id,
                        "expected_revenue": self.products[deal["product"]].list_price,
                    }
                    for deal in batch
                ]
            )
            self._post_tracking()
        self.leads = leads
        self.pairs = list(zip(self.deals, leads, strict=True))
        # Messages posted from here on are the closing ones (won or lost), dated at the close.
        self.env.cr.execute("SELECT COALESCE(max(id), 0) FROM mail_message")
        self.first_close_message = self.env.cr.fetchone()[0] + 1
        self.counts["opportunities"] = len(leads)

    def _won_lost(self):
        """Won deals: their value, then ``action_set_won``, and their sale order; lost deals:
        ``action_set_lost``."""
        won = [(deal, lead) for deal, lead in self.pairs if deal["stage"] == "Won"]
        lost = self.leads.browse([lead.id for deal, lead in self.pairs if deal["stage"] == "Lost"])
        for start in range(0, len(won), BATCH):
            batch = won[start : start + BATCH]
            # The salesperson enters the deal's final value as it is won: one tracked change.
            by_value = defaultdict(list)
            for deal, lead in batch:
                by_value[deal["value"]].append(lead.id)
            for value, ids in by_value.items():
                self.leads.browse(ids).write({"expected_revenue": value})
            self.leads.browse([lead.id for _deal, lead in batch]).action_set_won()
            self._post_tracking()
        for start in range(0, len(lost), BATCH):
            lost[start : start + BATCH].action_set_lost()
            self._post_tracking()
        self._sale_orders(won)
        self.counts["won"] = len(won)
        self.counts["lost"] = len(lost)
        self.counts["open"] = len(self.leads) - len(won) - len(lost)

    def _sale_orders(self, won):
        """A confirmed sale order per won deal: the customer, the product at the deal's value."""
        Order = self.env["sale.order"].with_context(
            tracking_disable=False, mail_notrack=False, mail_create_nolog=False, **TRACKED
        )
        orders = Order.browse()
        for start in range(0, len(won), BATCH):
            batch = won[start : start + BATCH]
            created = Order.create(
                [
                    {
                        "partner_id": self.partners[deal["account"]].id,
                        "user_id": self.users[deal["agent"]].id,
                        "team_id": self.team_of[deal["agent"]].id,
                        "company_id": self.company.id,
                        "opportunity_id": lead.id,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": self.products[deal["product"]].id,
                                    "product_uom_qty": 1,
                                    "price_unit": deal["value"],
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                    for deal, lead in batch
                ]
            )
            created.action_confirm()
            self._post_tracking()
            orders |= created
        self.orders = list(zip((deal for deal, _lead in won), orders, strict=True))
        self.counts["sale_orders"] = len(orders)

    def _post_tracking(self):
        """Post the tracking messages of the changes so far (Odoo posts them at commit)."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    # ------------------------------------------------------------------ dates
    def _date_everything(self):
        """Move every moment Odoo stamped with "now" back to the deal's real day."""
        env = self.env
        env.flush_all()
        created, closed = {}, {}
        for deal, lead in self.pairs:
            created[lead.id] = datetime.combine(deal["engaged"], CREATED_AT)
            if deal["closed"]:
                closed[lead.id] = datetime.combine(deal["closed"], CLOSED_AT)
        won_closed = {
            lead.id: closed[lead.id] for deal, lead in self.pairs if deal["stage"] == "Won"
        }
        for column in ("create_date", "write_date", "date_open", "date_last_stage_update"):
            set_dates(env, "crm_lead", column, created)
        set_dates(env, "crm_lead", "date_closed", closed)
        set_dates(env, "crm_lead", "write_date", closed)
        set_dates(env, "crm_lead", "date_last_stage_update", won_closed)
        lead_ids = list(created)
        env.cr.execute(
            """UPDATE crm_lead
                  SET day_open = 0,
                      day_close = CASE WHEN date_closed IS NULL THEN NULL
                                       ELSE date_closed::date - create_date::date END
                WHERE id = ANY(%s)""",
            [lead_ids],
        )
        # The lead's messages: its creation at its creation, the won or lost change at its close;
        # written by its salesperson.
        env.cr.execute(
            """UPDATE mail_message m
                  SET date = CASE WHEN m.id >= %s THEN COALESCE(l.date_closed, l.create_date)
                                  ELSE l.create_date END,
                      author_id = u.partner_id
                 FROM crm_lead l JOIN res_users u ON u.id = l.user_id
                WHERE m.model = 'crm.lead' AND m.res_id = l.id AND l.id = ANY(%s)""",
            [self.first_close_message, lead_ids],
        )
        env.cr.execute(
            "UPDATE mail_message SET create_date = date, write_date = date"
            " WHERE model = 'crm.lead' AND res_id = ANY(%s)",
            [lead_ids],
        )
        # The orders: placed and confirmed on the day the deal was won.
        order_days = {order.id: won_closed[order.opportunity_id.id] for _deal, order in self.orders}
        for column in ("date_order", "create_date", "write_date"):
            set_dates(env, "sale_order", column, order_days)
        order_ids = list(order_days)
        env.cr.execute(
            """UPDATE sale_order_line l SET create_date = o.create_date, write_date = o.create_date
                 FROM sale_order o WHERE o.id = l.order_id AND o.id = ANY(%s)""",
            [order_ids],
        )
        env.cr.execute(
            """UPDATE mail_message m SET date = o.create_date, create_date = o.create_date,
                      write_date = o.create_date, author_id = u.partner_id
                 FROM sale_order o JOIN res_users u ON u.id = o.user_id
                WHERE m.model = 'sale.order' AND m.res_id = o.id AND o.id = ANY(%s)""",
            [order_ids],
        )
        env.cr.execute(
            """UPDATE mail_tracking_value v SET create_date = m.date, write_date = m.date
                 FROM mail_message m
                WHERE m.id = v.mail_message_id
                  AND ((m.model = 'crm.lead' AND m.res_id = ANY(%s))
                       OR (m.model = 'sale.order' AND m.res_id = ANY(%s)))""",
            [lead_ids, order_ids],
        )
        # The customers exist from their first deal on.
        env.cr.execute(
            """UPDATE res_partner p SET create_date = f.first
                 FROM (SELECT partner_id, min(create_date) AS first FROM crm_lead
                        WHERE id = ANY(%s) AND partner_id IS NOT NULL GROUP BY partner_id) f
                WHERE p.id = f.partner_id""",
            [lead_ids],
        )
        env.invalidate_all()


def load(env, path):
    """Load the Maven pipeline found at `path` (its folder, or its sales_pipeline.csv) into
    the main company of `env`; return the counts. Never commits."""
    return MavenLoader(env, read_files(path)).load()


def main(argv=None):
    """Load the files into the database, commit, and print what was created."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument(
        "--csv", required=True, help="folder of the four CSV files, or its sales_pipeline.csv"
    )
    args = parser.parse_args(argv)
    try:
        tables = read_files(args.csv)
        read_deals(tables)
    except LoadError as error:
        parser.exit(2, f"error: {error}\n")

    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", args.config, "-d", args.database, "--no-http"])
    logging.getLogger("odoo").setLevel(logging.WARNING)
    threading.current_thread().dbname = args.database
    started = time.monotonic()
    with Registry(args.database).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        try:
            counts = MavenLoader(env, tables).load()
        except LoadError as error:
            parser.exit(2, f"error: {error}\n")
        cr.commit()
    summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
    print(f"loaded the Maven pipeline in {time.monotonic() - started:.0f} s: {summary}")


if __name__ == "__main__":
    main()
