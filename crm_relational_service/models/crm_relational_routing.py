from collections import Counter, defaultdict, namedtuple
from datetime import UTC, datetime, time, timedelta

from pytz import timezone

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..system_fields import system_env

# The columns of ``_presence_sql``: what tells whether an agent works at a moment.
PRESENCE = ("resource_id", "calendar_id", "tz", "leaves")
# An active skill as routing matches tickets against it (see ``_skill_rules``).
SkillRule = namedtuple(
    "SkillRule",
    ("id", "company_id", "skill_type", "lang", "channel_id", "product_category_id", "min_level",
     "name"),
)  # fmt: skip
# Set on a transaction's callbacks once it has asked to forget what routing keeps.
FORGET_KEY = "crm_relational_service.forget_kept"


class CrmRelationalRouting(models.AbstractModel):
    """Skill-based ticket routing: which skills a ticket calls for, which agents of its team
    may take it, and who gets it. New tickets of routing teams are routed as they are
    created (``helpdesk.ticket.create``); a selection of tickets in the background by a
    routing run (``crm.relational.routing.run``)."""

    _name = "crm.relational.routing"
    _description = "Ticket Routing"

    @api.model
    def _route(self, tickets):
        """Give each unassigned ticket of `tickets` of a routing team to the least-loaded agent
        of the team who has its required skills, has room and is working now; round-robin
        between equals; else leave it in the team queue (see ``_choose_agent``). Routes in
        the tickets' environment; returns a ``Counter`` of what became of them (see
        ``_route_one``) and of the ``skipped`` ones. New tickets are routed before they are
        inserted instead (``_route_values``)."""
        routing = self.with_env(tickets.env)
        outcomes = Counter()
        routable = tickets.filtered(
            lambda t: t.team_id.relational_routing and not t.user_id and not t.closed
        )
        for ticket in routable:
            outcomes[routing._route_one(ticket)] += 1
        outcomes["skipped"] += len(tickets) - len(routable)
        return outcomes

    @api.model
    def _route_one(self, ticket):
        """Route the existing `ticket` (see ``_route``); what became of it: ``routed``, or why
        it stayed in the queue: ``no_skills``, ``not_working`` or ``full``."""
        ticket.ensure_one()
        outcome, values = self._choose_agent(
            ticket.team_id, ticket.company_id, ticket.relational_required_skill_ids
        )
        # Assigned as Odoo's own lead assignment does (crm.team._allocate_leads): the agent
        # follows the ticket and finds it in their queue, without a "You have been assigned"
        # e-mail per routed ticket.
        system_env(ticket).with_context(mail_auto_subscribe_no_notify=True).write(values)
        return outcome

    @api.model
    def _route_values(self, vals_list):
        """Route new tickets before they are inserted: for each values of ``vals_list`` of a
        routing team that name no agent and no closed stage, write into them the agent chosen
        (or none), the routing note and the team's first stage, so that each ticket is
        inserted once, already assigned: no second update, recompute or tracking message.
        The tickets of one call are routed one after the other, each seeing the agents the
        ones before were given. Returns, per values, what became of the ticket (see
        ``_route_one``), or ``None`` where routing was not asked (another team, an agent
        named, no team given: such tickets are routed after their creation if they need it).
        """
        Ticket = self.env["helpdesk.ticket"]
        Team = self.env["helpdesk.ticket.team"]
        outcomes = [None] * len(vals_list)
        pending = Counter()
        for index, vals in enumerate(vals_list):
            team = Team.browse(vals.get("team_id") or ())
            if (
                len(team) != 1
                or not team.relational_routing
                or not team.active
                or vals.get("user_id")
            ):
                continue
            if not vals.get("stage_id"):
                # The stage helpdesk_mgmt gives a new ticket of the team (read once here).
                vals["stage_id"] = team._get_applicable_stages()[:1].id
            stage = self.env["helpdesk.ticket.stage"].browse(vals["stage_id"] or ())
            if stage.closed:
                vals.setdefault("user_id", False)
                continue
            company = team.company_id or self.env["res.company"].browse(
                vals.get("company_id") or self.env.company.id
            )
            skills = Ticket._relational_required_skills(
                category=self.env["helpdesk.ticket.category"].browse(vals.get("category_id") or ()),
                product=self.env["product.product"].browse(vals.get("product_id") or ()),
                partner=self.env["res.partner"].browse(vals.get("partner_id") or ()),
                channel=self.env["helpdesk.ticket.channel"].browse(vals.get("channel_id") or ()),
                company=company,
            )
            outcomes[index], values = self._choose_agent(team, company, skills, pending)
            vals.update(values)
            vals.setdefault("user_id", False)  # routing decides, not helpdesk's auto-assignment
        return outcomes

    @api.model
    def _choose_agent(self, team, company, skills, pending=None):
        """Who of `team` takes a ticket of ``company`` requiring ``skills``: the least-loaded
        agent who has the skills, has room and is working now, round-robin between equals
        (``pending``: {agent id: tickets given but not inserted yet}, counted in the loads).
        Returns what became of the ticket (``routed``, or why it stays in the queue:
        ``no_skills``, ``not_working`` or ``full``) and the ticket's values: the routing
        note, and its agent if routed. The chosen agent's row is locked and stamped: a
        transaction that routed to the same agent since this one began makes this one fail to
        serialize (Odoo retries it on fresh data), so two transactions routing at once never
        fill an agent beyond capacity; ``pending`` counts the chosen agent's new ticket. The
        same two queries whatever the number of agents and of open tickets: the qualified
        agents with their kept loads, working hours and time off, and the lock of the chosen
        one (the skills and the calendars' hours of the day are kept between requests)."""
        moment = fields.Datetime.now()
        qualified = self._qualified(team, company, skills, moment)
        for agent in qualified:
            agent["load"] += (pending or {}).get(agent["id"], 0)
        # sudo: whether an agent works now is read from their resource's calendar and time
        # off, whoever creates the ticket (a customer, a colleague): only the answer, working
        # or not, is used; no hours are returned or shown.
        working = self.sudo()._working_now(team, qualified, moment)
        free = [agent for agent in qualified if agent["user_id"] in working and
                agent["load"] < agent["capacity"]]  # fmt: skip
        names = ", ".join(name for _level, name in self._skill_facts(skills)) or self.env._("none")
        if not free:
            # Why: the qualified agents working now, whether they have room or not.
            working_count = sum(agent["user_id"] in working for agent in qualified)
            outcome = "full" if working_count else "not_working" if qualified else "no_skills"
            return outcome, {
                "relational_routing_note": self.env._(
                    "Left in the %(team)s queue: no agent with the skills (%(skills)s) is "
                    "working now with room (%(qualified)s qualified, %(working)s working).",
                    team=team.name, skills=names,
                    qualified=len(qualified), working=working_count,
                ),
            }  # fmt: skip
        epoch = fields.Datetime.from_string("1970-01-01")
        chosen = min(
            free, key=lambda agent: (agent["load"], agent["last_assigned_at"] or epoch, agent["id"])
        )
        name = self.env["crm.relational.agent"].browse(chosen["id"])._relational_stamp(moment)
        if pending is not None:
            pending[chosen["id"]] += 1
        return "routed", {
            "user_id": chosen["user_id"],
            "relational_routing_note": self.env._(
                "Routed to %(agent)s: has the skills (%(skills)s), is working now and "
                "carried %(load)s of %(capacity)s tickets, the fewest of the %(count)s "
                "agents able to take it.",
                agent=name, skills=names,
                load=chosen["load"], capacity=chosen["capacity"], count=len(free),
            ),
        }  # fmt: skip

    @api.model
    def _qualified(self, team, company, skills, moment=None):
        """The active agents of ``team``'s members in ``company`` whose level reaches the
        minimum of every one of ``skills``, in id order, as dicts: ``id``, ``user_id``,
        ``capacity``, ``load`` (their open tickets in ``company``, kept by the database in the
        same transaction as the tickets, see ``crm.relational.agent.init``),
        ``last_assigned_at``, and what tells whether they work at ``moment`` (now), see
        ``_presence_sql``. One query, whatever the number of agents and tickets."""
        # The loads are kept by triggers on the tickets' rows: what the ORM still holds must
        # reach them first.
        self.env["helpdesk.ticket"].flush_model(["user_id", "stage_id", "active", "company_id"])
        self.env["helpdesk.ticket.stage"].flush_model(["closed"])
        self.env["crm.relational.agent"].flush_model()
        self.env["crm.relational.agent.skill"].flush_model()
        has_skills = [
            SQL(
                """EXISTS (SELECT 1 FROM crm_relational_agent_skill s
                            WHERE s.agent_id = a.id AND s.skill_id = %s AND s.level >= %s)""",
                skill.id,
                min_level,
            )
            for skill, (min_level, _name) in zip(skills, self._skill_facts(skills), strict=True)
        ]
        # The team's active members, as ``team.user_ids`` lists them, read in the same query.
        members = team._fields["user_ids"]
        self.env["helpdesk.ticket.team"].flush_model(["user_ids"])
        self.env["res.users"].flush_model(["active"])
        agents = SQL(
            """SELECT a.id, a.user_id, a.capacity, a.open_ticket_load, a.last_assigned_at
                 FROM crm_relational_agent a
                WHERE a.active AND a.company_id = %s AND %s
                  AND a.user_id IN (SELECT m.%s FROM %s m JOIN res_users u ON u.id = m.%s
                                     WHERE m.%s = %s AND u.active)""",
            company.id or None,
            SQL(" AND ").join([SQL("TRUE"), *has_skills]),
            SQL.identifier(members.column2),
            SQL.identifier(members.relation),
            SQL.identifier(members.column2),
            SQL.identifier(members.column1),
            team.id,
        )
        rows = self.env.execute_query(self._presence_sql(agents, moment))
        keys = ("id", "user_id", "capacity", "load", "last_assigned_at", *PRESENCE)
        return [dict(zip(keys, row, strict=True)) for row in rows]

    @api.model
    def _requires(self, rule, company, lang, channel, product):
        """Whether a ticket of ``company``, in the customer's ``lang``, arriving through
        ``channel`` about ``product`` calls for the skill of ``rule`` (a ``SkillRule``)."""
        if rule.company_id and rule.company_id != company.id:
            return False
        if rule.skill_type == "language":
            return bool(lang) and rule.lang == lang
        if rule.skill_type == "channel":
            return bool(channel) and rule.channel_id == channel.id
        # The product's category or one of its parents (a parent path lists the ids from the
        # root: "1/5/12/").
        path = product.categ_id.parent_path
        return bool(path and rule.product_category_id) and (
            f"/{rule.product_category_id}/" in f"/{path}"
        )

    @api.model
    @tools.ormcache("self.env.lang")
    def _skill_rules(self):
        """Every company's active skills as routing matches tickets against them, in the
        skills' order, as ``SkillRule`` tuples (names in the current language): read once and
        kept in the registry's cache, shared by every request, until a skill changes (see
        ``crm.relational.skill`` and ``_forget_kept``), so that routing a ticket reads no
        skill. The ticket's company picks among them (``_requires``); they are routing's
        configuration, read whoever creates the ticket (a customer, a colleague), and only
        the names of the skills a ticket requires are shown, in its routing note."""
        self.env["crm.relational.skill"].flush_model()
        name = SQL("COALESCE(s.name->>%s, s.name->>'en_US')", self.env.lang or "en_US")
        rows = self.env.execute_query(
            SQL(
                """SELECT s.id, s.company_id, s.skill_type, s.lang, s.channel_id,
                          s.product_category_id, s.min_level, %(name)s
                     FROM crm_relational_skill s
                    WHERE s.active
                    ORDER BY s.skill_type, %(name)s, s.id""",
                name=name,
            )
        )
        return tuple(SkillRule(*row) for row in rows)

    @api.model
    def _skill_facts(self, skills):
        """(minimum level, name) of each of ``skills``, from the kept rules (``_skill_rules``);
        an archived skill's read from the skill itself."""
        kept = {rule.id: rule for rule in self._skill_rules()}
        return [
            (kept[skill.id].min_level, kept[skill.id].name) if skill.id in kept
            else (skill.min_level, skill.name)
            for skill in skills
        ]  # fmt: skip

    @api.model
    def _forget_kept(self):
        """Forget what routing keeps between requests (the skills, the calendars' hours of
        the day): now, and again when the transaction ends (committed or not), so that no
        request keeps what was read before the change was committed, or from a change that
        was rolled back."""
        registry, cr = self.env.registry, self.env.cr
        registry.clear_cache()
        for callbacks in (cr.postcommit, cr.postrollback):
            if not callbacks.data.get(FORGET_KEY):
                callbacks.data[FORGET_KEY] = True
                callbacks.add(registry.clear_cache)

    @api.model
    def _open_loads(self, user_ids, company):
        """{user id: open tickets assigned in ``company``}, read afresh from the database: one
        grouped count over the tickets of ``user_ids`` of that company that are active and in a
        stage that is not closed. An agent's load in one company is not their load in another
        (each company has its own agent record and capacity)."""
        if not user_ids:
            return {}
        self.env["helpdesk.ticket"].flush_model(["user_id", "stage_id", "active", "company_id"])
        self.env["helpdesk.ticket.stage"].flush_model(["closed"])
        in_company = (
            SQL("t.company_id = %s", company.id) if company else SQL("t.company_id IS NULL")
        )
        self.env.cr.execute(
            SQL(
                """
            SELECT t.user_id, COUNT(*)
              FROM helpdesk_ticket t
             WHERE t.user_id = ANY(%s) AND %s AND t.active
               AND t.stage_id = ANY(ARRAY(SELECT s.id FROM helpdesk_ticket_stage s
                                           WHERE NOT COALESCE(s.closed, FALSE)))
             GROUP BY t.user_id
                """,
                list(user_ids),
                in_company,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _working(self, team, users, moment=None):
        """The ``users`` who work at ``moment`` (now): by their own working hours and time off
        if they have any, else `team`'s (public holidays included); no hours, always. One
        query for their resources and time off (see ``_working_now``)."""
        if not users:
            return users
        members = SQL("SELECT UNNEST(%s::int[]) AS user_id", users.ids)
        rows = self.env.execute_query(self._presence_sql(members, moment))
        presence = [dict(zip(("user_id", *PRESENCE), row, strict=True)) for row in rows]
        working = self._working_now(team, presence, moment)
        return users.filtered(lambda user: user.id in working)

    @api.model
    def _moment_bounds(self, moment=None):
        """The minute from ``moment`` (naive UTC, default now) that routing asks about."""
        start = moment or fields.Datetime.now()
        return start, start + timedelta(minutes=1)

    @api.model
    def _presence_sql(self, users, moment=None):
        """The query of the rows of the query ``users`` (with a column ``user_id``), in the
        order of their first column, each followed by what tells whether the user works at
        ``moment`` (now), named in ``PRESENCE``: their first active resource (as
        ``user.resource_ids`` lists them), its own calendar and time zone, and the time off
        touching the minute from ``moment`` of their resources or of no one (public
        holidays), as [resource or 0, calendar or 0, 1 if it covers the whole minute], on
        the row of the smallest user id only (NULL on the others: sent once, not once per
        agent). Each table is read once for all the users."""
        self.env["resource.resource"].flush_model(
            ["user_id", "active", "calendar_id", "tz", "name"]
        )
        self.env["resource.calendar.leaves"].flush_model()
        start, end = self._moment_bounds(moment)
        return SQL(
            """
            WITH users AS MATERIALIZED (%(users)s),
            res AS MATERIALIZED (
                SELECT DISTINCT ON (r.user_id) r.user_id, r.id, r.calendar_id, r.tz
                  FROM resource_resource r
                 WHERE r.user_id IN (SELECT user_id FROM users) AND r.active
                 ORDER BY r.user_id, r.name, r.id
            )
            SELECT users.*, res.id, res.calendar_id, res.tz,
                   CASE WHEN users.user_id = (SELECT MIN(user_id) FROM users) THEN (
                       SELECT ARRAY_AGG(ARRAY[COALESCE(l.resource_id, 0),
                                              COALESCE(l.calendar_id, 0),
                                              (l.date_from <= %(start)s
                                               AND l.date_to >= %(end)s)::int])
                         FROM resource_calendar_leaves l
                        WHERE l.time_type = 'leave'
                          AND l.date_from <= %(end)s AND l.date_to >= %(start)s
                          AND (l.resource_id IS NULL OR l.resource_id IN (SELECT id FROM res)))
                   END
              FROM users LEFT JOIN res ON res.user_id = users.user_id
             ORDER BY 1
            """,
            users=users,
            start=start,
            end=end,
        )

    @api.model
    def _working_now(self, team, presence, moment=None):
        """The set of user ids among ``presence`` (dicts with ``user_id`` and the columns
        ``PRESENCE`` of ``_presence_sql``) who work at ``moment`` (now), as Odoo's working
        intervals say: by their own working hours and time off if they have any, else
        `team`'s (public holidays included); no hours, always.

        Most agents are answered from their calendar's hours of the day in their zone, kept
        between requests (``_day_attendance``): an agent neither on time off nor on a public
        holiday at the moment works if the moment falls in those hours. Only the others (time
        off during part of the moment, a public holiday, flexible hours, or a resource
        without hours of their own) have Odoo's intervals computed, one computation per
        calendar; an agent on time off the whole moment does not work."""
        start, end = self._moment_bounds(moment)
        on_leave, public, away = set(), set(), defaultdict(set)
        # The time off comes on one row (see ``_presence_sql``).
        leaves = next((row["leaves"] for row in presence if row["leaves"]), None) or ()
        for resource_id, calendar_id, whole in leaves:
            (on_leave if resource_id else public).add(resource_id or calendar_id)
            if resource_id and whole:
                away[resource_id].add(calendar_id)
        team_calendar = team.resource_calendar_id.id
        working, by_calendar, day_hours = set(), defaultdict(list), {}
        for row in presence:
            user_id, resource_id = row["user_id"], row["resource_id"]
            calendar = row["calendar_id"] or team_calendar  # their own, else the team's
            holiday = bool({0, calendar} & public)
            if not calendar:
                working.add(user_id)
            elif resource_id and {0, calendar} & away[resource_id]:
                continue  # on time off the whole moment (as Odoo counts it: of the calendar)
            elif holiday or resource_id in on_leave or (resource_id and not row["calendar_id"]):
                leaves = holiday or resource_id in on_leave
                by_calendar[calendar].append((user_id, resource_id, leaves))
            else:
                # Asked once per calendar and zone (most agents share a few).
                key = (calendar, row["tz"] if resource_id else None)
                if key not in day_hours:
                    day_hours[key] = self._day_attendance(*key, start.date())
                hours = day_hours[key]
                if hours is None:  # flexible hours: as Odoo spreads them over the moment
                    by_calendar[calendar].append((user_id, resource_id, False))
                elif any(begin < end and stop > start for begin, stop in hours):
                    working.add(user_id)
        # Odoo's working intervals, one computation per calendar, for the few others.
        start_utc, end_utc = start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)
        for calendar_id, members in by_calendar.items():
            computed = self.env["resource.resource"].browse(
                sorted({resource_id for _u, resource_id, _l in members if resource_id})
            )
            # Time off is looked up again only if some touches the moment (read above).
            leaves = any(leaves for _u, _r, leaves in members)
            intervals = (
                self.env["resource.calendar"]
                .browse(calendar_id)
                ._work_intervals_batch(
                    start_utc, end_utc, resources=computed, compute_leaves=leaves
                )
            )
            working.update(user_id for user_id, r, _l in members if list(intervals[r or False]))
        return working

    @api.model
    @tools.ormcache("calendar_id", "zone", "day")
    def _day_attendance(self, calendar_id, zone, day):
        """The hours of the calendar ``calendar_id`` in the time zone ``zone`` (None: the
        calendar's own), from ``day`` 0:00 UTC for 25 hours (so that any minute starting that
        day is covered), as Odoo's attendance intervals give them (time off aside): a tuple of
        (start, stop) naive UTC datetimes; None if the calendar has flexible hours (Odoo
        spreads those over the period asked). Kept in the registry's cache, shared by every
        request, until a calendar or its attendances change (see ``resource.calendar`` and
        ``_forget_kept``)."""
        calendar = self.env["resource.calendar"].browse(calendar_id)
        if calendar.flexible_hours:
            return None
        begin = datetime.combine(day, time.min, tzinfo=UTC)
        intervals = calendar._attendance_intervals_batch(
            begin, begin + timedelta(hours=25), tz=timezone(zone or calendar.tz or "UTC")
        )
        return tuple(
            (start.astimezone(UTC).replace(tzinfo=None), stop.astimezone(UTC).replace(tzinfo=None))
            for start, stop, _attendance in intervals[False]
        )
