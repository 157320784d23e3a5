from collections import Counter, defaultdict
from datetime import UTC, timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..system_fields import system_env


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
        between equals; else leave it in the team queue. The chosen agent's row is locked and
        stamped before the ticket is given: a transaction that routed to the same agent since
        this one began makes this one fail to serialize (Odoo retries it on fresh data), so
        two transactions routing at once never fill an agent beyond capacity. Routes in the
        tickets' environment; returns a ``Counter`` of what became of them (see
        ``_route_one``) and of the ``skipped`` ones."""
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
        """Route `ticket` (see ``_route``); what became of it: ``routed``, or why it stayed in
        the queue: ``no_skills``, ``not_working`` or ``full``. The same few queries whatever
        the number of agents and of open tickets: the qualified agents of the team with their
        maintained loads (one indexed query), the working hours of those with room, the lock
        of the chosen one, the assignment."""
        ticket.ensure_one()
        required = ticket.relational_required_skill_ids
        qualified = self._qualified(ticket.team_id, ticket.company_id, required)
        # sudo: routing reads the working hours (resources, calendars, time off) and names of
        # the team's agents whatever the creator of the ticket sees; only the chosen one is
        # named.
        Users = self.env["res.users"].sudo()
        with_room = [agent for agent in qualified if agent["load"] < agent["capacity"]]
        working_ids = set(
            self._working(ticket.team_id, Users.browse([a["user_id"] for a in with_room])).ids
        )
        free = [agent for agent in with_room if agent["user_id"] in working_ids]
        names = ", ".join(required.mapped("name")) or self.env._("none")
        if not free:
            # Why: the qualified agents working now, whether they have room or not.
            working = self._working(ticket.team_id, Users.browse([a["user_id"] for a in qualified]))
            outcome = "full" if working else "not_working" if qualified else "no_skills"
            system_env(ticket).relational_routing_note = self.env._(
                "Left in the %(team)s queue: no agent with the skills (%(skills)s) is working "
                "now with room (%(qualified)s qualified, %(working)s working).",
                team=ticket.team_id.name, skills=names,
                qualified=len(qualified), working=len(working),
            )  # fmt: skip
            return outcome
        epoch = fields.Datetime.from_string("1970-01-01")
        chosen = min(
            free, key=lambda agent: (agent["load"], agent["last_assigned_at"] or epoch, agent["id"])
        )
        self.env["crm.relational.agent"].browse(chosen["id"])._relational_stamp(
            fields.Datetime.now()
        )
        # Assigned as Odoo's own lead assignment does (crm.team._allocate_leads): the agent
        # follows the ticket and finds it in their queue, without a "You have been assigned"
        # e-mail per routed ticket.
        system_env(ticket).with_context(mail_auto_subscribe_no_notify=True).write(
            {
                "user_id": chosen["user_id"],
                "relational_routing_note": self.env._(
                    "Routed to %(agent)s: has the skills (%(skills)s), is working now and "
                    "carried %(load)s of %(capacity)s tickets, the fewest of the %(count)s "
                    "agents able to take it.",
                    agent=Users.browse(chosen["user_id"]).name, skills=names,
                    load=chosen["load"], capacity=chosen["capacity"], count=len(free),
                ),
            }
        )  # fmt: skip
        return "routed"

    @api.model
    def _qualified(self, team, company, skills):
        """The active agents of ``team``'s members in ``company`` whose level reaches the
        minimum of every one of ``skills``, in id order, as dicts: ``id``, ``user_id``,
        ``capacity``, ``load`` (their open tickets in ``company``, kept by the database in the
        same transaction as the tickets, see ``crm.relational.agent.init``) and
        ``last_assigned_at``. One query, whatever the number of agents and tickets."""
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
                skill.min_level,
            )
            for skill in skills
        ]
        rows = self.env.execute_query(
            SQL(
                """
            SELECT a.id, a.user_id, a.capacity, a.open_ticket_load, a.last_assigned_at
              FROM crm_relational_agent a
             WHERE a.active AND a.company_id = %s AND a.user_id = ANY(%s) AND %s
             ORDER BY a.id
                """,
                company.id or None,
                team.user_ids.ids,
                SQL(" AND ").join([SQL("TRUE"), *has_skills]),
            )
        )
        keys = ("id", "user_id", "capacity", "load", "last_assigned_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    @api.model
    def _requires(self, ticket, skill):
        """Whether `ticket`'s language, channel or product calls for ``skill``."""
        if skill.company_id and skill.company_id != ticket.company_id:
            return False
        if skill.skill_type == "language":
            return bool(ticket.partner_id.lang) and skill.lang == ticket.partner_id.lang
        if skill.skill_type == "channel":
            return bool(ticket.channel_id) and skill.channel_id == ticket.channel_id
        category = ticket.product_id.categ_id
        return bool(category) and category.parent_path.startswith(
            skill.product_category_id.parent_path
        )

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
        if they have any, else `team`'s (public holidays included); no hours, always.

        Set-based: one query for the users' resources, one for the time off touching the
        moment, then one computation of Odoo's working intervals per calendar: agents of the
        same calendar and time zone with no time off then share one resource's result; only
        agents on time off (or without hours of their own) are computed each, as Odoo does."""
        start = (moment or fields.Datetime.now()).replace(tzinfo=UTC)
        end = start + timedelta(minutes=1)
        if not users:
            return users
        self.env["resource.resource"].flush_model(
            ["user_id", "active", "calendar_id", "tz", "name"]
        )
        self.env["resource.calendar.leaves"].flush_model()
        # Each user's first active resource, as ``user.resource_ids`` lists them.
        resources = {
            user_id: (resource_id, calendar_id, tz)
            for user_id, resource_id, calendar_id, tz in self.env.execute_query(
                SQL(
                    """SELECT DISTINCT ON (r.user_id) r.user_id, r.id, r.calendar_id, r.tz
                         FROM resource_resource r
                        WHERE r.user_id = ANY(%s) AND r.active
                        ORDER BY r.user_id, r.name, r.id""",
                    users.ids,
                )
            )
        }
        # Time off touching the moment: of a resource, or public (of a calendar, or of all);
        # a resource's time off covering the whole moment, by the calendar it is of.
        on_leave, public, away = set(), set(), defaultdict(set)
        for resource_id, calendar_id, whole in self.env.execute_query(
            SQL(
                """SELECT l.resource_id, l.calendar_id, l.date_from <= %s AND l.date_to >= %s
                     FROM resource_calendar_leaves l
                    WHERE l.time_type = 'leave' AND l.date_from <= %s AND l.date_to >= %s
                      AND (l.resource_id = ANY(%s) OR l.resource_id IS NULL)""",
                start.replace(tzinfo=None),
                end.replace(tzinfo=None),
                end.replace(tzinfo=None),
                start.replace(tzinfo=None),
                [resource_id for resource_id, _c, _t in resources.values()],
            )
        ):
            (on_leave if resource_id else public).add(resource_id or calendar_id)
            if resource_id and whole:
                away[resource_id].add(calendar_id)
        team_calendar = team.resource_calendar_id.id
        working_ids = []
        # Per calendar: the users, and the resource whose hours are theirs (False: the
        # calendar's own, in its zone). Users of the same calendar and zone without time off
        # of their own share the first one's; those off the whole moment are not working; the
        # others (time off part of the moment, no hours of their own) are computed each.
        by_calendar = defaultdict(list)
        first_of_zone = {}
        for user_id in users.ids:
            resource_id, calendar_id, tz = resources.get(user_id, (False, False, False))
            calendar = calendar_id or team_calendar
            if not calendar:
                working_ids.append(user_id)
            elif not resource_id:
                by_calendar[calendar].append((user_id, False))  # the team's hours and zone
            elif {None, calendar} & away[resource_id]:
                continue  # on time off the whole moment (as Odoo counts it: of the calendar)
            elif not calendar_id or resource_id in on_leave or {None, calendar} & public:
                by_calendar[calendar].append((user_id, resource_id))
            else:
                shared = first_of_zone.setdefault((calendar, tz), resource_id)
                by_calendar[calendar].append((user_id, shared))
        # One computation of Odoo's working intervals per calendar, for all its zones.
        for calendar_id, members in by_calendar.items():
            computed = self.env["resource.resource"].browse(
                sorted({resource_id for _u, resource_id in members if resource_id})
            )
            # Time off is looked up again only if some touches the moment (read above).
            leaves = bool(on_leave & set(computed.ids)) or bool({None, calendar_id} & public)
            intervals = (
                self.env["resource.calendar"]
                .browse(calendar_id)
                ._work_intervals_batch(start, end, resources=computed, compute_leaves=leaves)
            )
            working_ids.extend(user_id for user_id, r in members if list(intervals[r]))
        return users.browse(working_ids)
